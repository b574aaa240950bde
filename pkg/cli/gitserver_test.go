package cli

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdGitServe starts a real Git server on 127.0.0.1 for the rest of the
// script and sets the environment variable NAME to its base URL:
//
//	gitserve http NAME ROOT            git http-backend (smart HTTP) behind net/http/cgi
//	gitserve http-auth NAME ROOT U P   the same, requiring HTTP basic auth
//	gitserve http-dying NAME ROOT N    the same, cutting each pack response after N bytes
//	gitserve http-endless NAME ROOT    the same, but a pack response that never ends
//	                                   (progress messages, forever)
//	gitserve daemon NAME ROOT          git daemon (git://)
//
// Repositories are served from below ROOT; every server is stopped when the
// script ends.
func cmdGitServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: gitserve http|http-auth|http-dying|http-endless|daemon NAME ROOT [ARGS]")
	}
	kind, name, root := args[0], args[1], ts.MkAbs(args[2])
	switch kind {
	case "http", "http-auth", "http-dying", "http-endless":
		execPath, err := exec.Command("git", "--exec-path").Output()
		ts.Check(err)
		var h http.Handler = &cgi.Handler{
			Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
			Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
		}
		switch kind {
		case "http-auth":
			if len(args) != 5 {
				ts.Fatalf("usage: gitserve http-auth NAME ROOT USER PASSWORD")
			}
			h = basicAuth(h, args[3], args[4])
		case "http-dying":
			if len(args) != 4 {
				ts.Fatalf("usage: gitserve http-dying NAME ROOT BYTES")
			}
			n, err := strconv.Atoi(args[3])
			ts.Check(err)
			h = dying(h, n)
		case "http-endless":
			h = endless(h)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(l)
		ts.Defer(func() { srv.Close() })
		ts.Setenv(name, "http://"+l.Addr().String())
	case "daemon":
		port := freePort(ts)
		cmd := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--base-path="+root,
			"--listen=127.0.0.1", "--port="+strconv.Itoa(port), root)
		// Its own process group, so that stopping it stops the children it
		// forks per connection; no inherited output, which those children
		// would hold open after the test.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		ts.Check(cmd.Start())
		ts.Defer(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
		})
		// Wait, boundedly, for the daemon to accept connections.
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				ts.Fatalf("git daemon did not start on port %d: %v", port, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		ts.Setenv(name, fmt.Sprintf("git://127.0.0.1:%d", port))
	default:
		ts.Fatalf("unknown server kind %q", kind)
	}
}

// freePort returns a loopback port that nothing listens on now.
func freePort(ts *testscript.TestScript) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func basicAuth(h http.Handler, user, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// dying serves ref advertisements whole but cuts every upload-pack response
// (the pack) after n bytes by closing the connection: a server that dies
// mid-fetch.
func dying(h http.Handler, n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(&cutWriter{ResponseWriter: w, left: n}, r)
	})
}

// endless serves ref advertisements whole but answers every upload-pack
// request with a pack response that never ends: side-band progress
// messages, as fast as the client reads them, until it hangs up.
func endless(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			h.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
		msg := "\x02Counting objects: forever\n"
		pkt := []byte(fmt.Sprintf("%04x%s", len(msg)+4, msg))
		chunk := bytes.Repeat(pkt, 1024)
		if _, err := io.WriteString(w, "0008NAK\n"); err != nil {
			return
		}
		for i := 0; i < 1<<20; i++ { // 32 GB at most: the client stops long before
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
}

type cutWriter struct {
	http.ResponseWriter
	left int
	dead bool
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if c.dead {
		return 0, http.ErrAbortHandler
	}
	if len(b) <= c.left {
		c.left -= len(b)
		return c.ResponseWriter.Write(b)
	}
	c.ResponseWriter.Write(b[:c.left])
	c.dead = true
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	if hj, ok := c.ResponseWriter.(http.Hijacker); ok {
		if conn, buf, err := hj.Hijack(); err == nil {
			buf.Flush()
			conn.Close()
		}
	}
	return 0, http.ErrAbortHandler
}
