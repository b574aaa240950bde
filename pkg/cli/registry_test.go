package cli

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"
)

// The integration tier runs against a real OCI registry, Debian's
// docker-registry (the CNCF distribution registry), and the oras CLI as an
// independent client; .ci/registry.sh installs both. Scripts that need
// them start with
//
//	registry path
//	[!exec:docker-registry] skip 'docker-registry is not installed: run .ci/registry.sh'
//	[!exec:oras] skip 'oras is not installed: run .ci/registry.sh'
//
// and TestRegistryTier fails instead when ORK_REQUIRE_REGISTRY is set (as
// CI sets it), so the tier cannot pass by skipping.

// registryBinary is the registry's executable name.
const registryBinary = "docker-registry"

// TestRegistryTier fails when the integration tier would be skipped but
// ORK_REQUIRE_REGISTRY says it must run, and reports whether the tier runs
// (see recordTier): the check is the scripts' own.
func TestRegistryTier(t *testing.T) {
	missing := ""
	if _, err := exec.LookPath(registryBinary); err != nil {
		missing = registryBinary
	} else if _, err := exec.LookPath(filepath.Join(goBin(), "oras")); err != nil {
		if _, err := exec.LookPath("oras"); err != nil {
			missing = "oras"
		}
	}
	switch {
	case missing == "":
		recordTier(t, "OCI registry", "")
	case os.Getenv("ORK_REQUIRE_REGISTRY") != "":
		recordTier(t, "OCI registry", "FAILED: ORK_REQUIRE_REGISTRY is set")
		t.Fatalf("ORK_REQUIRE_REGISTRY is set but %s is not installed (oras: in %s or on PATH): run .ci/registry.sh", missing, goBin())
	default:
		recordTier(t, "OCI registry", missing+" not installed: make registry installs it")
		t.Skipf("%s is not installed, so the oci_* scripts skip themselves; make registry installs it (ORK_REQUIRE_REGISTRY=1 makes this a failure)", missing)
	}
}

// goBin is where `go install` puts programs: GOBIN, else GOPATH/bin.
func goBin() string {
	if b := os.Getenv("GOBIN"); b != "" {
		return b
	}
	return filepath.Join(build.Default.GOPATH, "bin")
}

// registries are the instances a script started, by name.
type registries struct {
	mu  sync.Mutex
	all map[string]*registryInstance
}

type registryInstance struct {
	cmd     *exec.Cmd
	storage string
}

var running = &registries{all: map[string]*registryInstance{}}

// cmdRegistry runs real registries for a script:
//
//	registry path                          put GOBIN (GOPATH/bin) on PATH, where .ci/registry.sh installs oras
//	registry start NAME                    a registry on 127.0.0.1, anonymous; $NAME is its host:port
//	registry start NAME htpasswd USER PW   the same, with HTTP basic auth (htpasswd, bcrypt)
//	registry start NAME token USER PW      the same behind a proxy that demands bearer tokens, which its
//	                                       token endpoint issues for USER and PW
//	registry start NAME dying N            the same behind a proxy that cuts every blob download after N bytes
//	registry corrupt NAME                  change the last byte of every gzip blob in NAME's storage
//	registry stop NAME                     stop NAME ($NAME then names a port nothing listens on)
//	registry digest FILE VAR               set $VAR to FILE's sha256 digest and $VAR_SIZE to its size, for
//	                                       manifests written by hand (and pushed with oras)
//	registry untitled FILE TYPE REF        push FILE with oras as the one layer, of media type TYPE and
//	                                       without a title, of an artifact tagged REF (as Flux does)
//	registry env VAR FILE                  set $VAR to FILE's content without its final newline (a digest
//	                                       that ork push printed, saved with cp stdout FILE)
//
// Each registry stores into a temporary directory; all are stopped, and
// their storage removed, when the script ends.
func cmdRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: registry path | start NAME [htpasswd|token USER PASSWORD | dying N] | corrupt NAME | stop NAME | digest FILE VAR | untitled FILE TYPE REF | env VAR FILE")
	}
	switch args[0] {
	case "path":
		ts.Setenv("PATH", goBin()+string(os.PathListSeparator)+ts.Getenv("PATH"))
	case "start":
		if len(args) < 2 {
			ts.Fatalf("usage: registry start NAME [htpasswd|token USER PASSWORD | dying N]")
		}
		startRegistry(ts, args[1], args[2:])
	case "corrupt":
		if len(args) != 2 {
			ts.Fatalf("usage: registry corrupt NAME")
		}
		corruptRegistry(ts, args[1])
	case "digest":
		if len(args) != 3 {
			ts.Fatalf("usage: registry digest FILE VAR")
		}
		data, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		sum := sha256.Sum256(data)
		ts.Setenv(args[2], "sha256:"+hex.EncodeToString(sum[:]))
		ts.Setenv(args[2]+"_SIZE", strconv.Itoa(len(data)))
	case "untitled":
		if len(args) != 4 {
			ts.Fatalf("usage: registry untitled FILE TYPE REF")
		}
		pushUntitled(ts, args[1], args[2], args[3])
	case "env":
		if len(args) != 3 {
			ts.Fatalf("usage: registry env VAR FILE")
		}
		ts.Setenv(args[1], strings.TrimSuffix(ts.ReadFile(args[2]), "\n"))
	case "stop":
		if len(args) != 2 {
			ts.Fatalf("usage: registry stop NAME")
		}
		key := ts.Getenv("WORK") + "\x00" + args[1]
		running.mu.Lock()
		r := running.all[key]
		running.mu.Unlock()
		if r == nil {
			ts.Fatalf("no registry %s", args[1])
		}
		stopProcess(r.cmd)
	default:
		ts.Fatalf("unknown registry command %q", args[0])
	}
}

func startRegistry(ts *testscript.TestScript, name string, mode []string) {
	dir, err := os.MkdirTemp("", "ork-registry-*")
	ts.Check(err)
	ts.Defer(func() { os.RemoveAll(dir) })
	var user, password string
	if len(mode) > 0 && mode[0] == "htpasswd" {
		if len(mode) != 3 {
			ts.Fatalf("usage: registry start NAME htpasswd USER PASSWORD")
		}
		user, password = mode[1], mode[2]
	}
	addr, cmd, err := runRegistry(dir, freePort(ts), user, password)
	if cmd != nil {
		ts.Defer(func() { stopProcess(cmd) })
	}
	ts.Check(err)
	key := ts.Getenv("WORK") + "\x00" + name
	running.mu.Lock()
	running.all[key] = &registryInstance{cmd: cmd, storage: filepath.Join(dir, "storage")}
	running.mu.Unlock()
	ts.Defer(func() {
		running.mu.Lock()
		delete(running.all, key)
		running.mu.Unlock()
	})

	if len(mode) > 0 {
		switch mode[0] {
		case "htpasswd":
		case "token":
			if len(mode) != 3 {
				ts.Fatalf("usage: registry start NAME token USER PASSWORD")
			}
			addr = serveProxy(ts, tokenProxy(addr, mode[1], mode[2]))
		case "dying":
			if len(mode) != 2 {
				ts.Fatalf("usage: registry start NAME dying BYTES")
			}
			n, err := strconv.Atoi(mode[1])
			ts.Check(err)
			addr = serveProxy(ts, dyingProxy(addr, n))
		default:
			ts.Fatalf("unknown registry mode %q", mode[0])
		}
	}
	ts.Setenv(name, addr)
}

// runRegistry starts docker-registry on 127.0.0.1:port, storing below dir,
// with htpasswd auth for user and password when user is set, and waits
// for it to answer. The caller stops cmd (with stopProcess) even on error.
func runRegistry(dir string, port int, user, password string) (addr string, cmd *exec.Cmd, err error) {
	bin, err := exec.LookPath(registryBinary)
	if err != nil {
		return "", nil, fmt.Errorf("%s is not installed: run .ci/registry.sh", registryBinary)
	}
	var authConfig string
	if user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			return "", nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
			return "", nil, err
		}
		authConfig = fmt.Sprintf("auth:\n  htpasswd:\n    realm: ork-test\n    path: %s\n", filepath.Join(dir, "htpasswd"))
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: 127.0.0.1:%d
  secret: ork-test-secret
%s`, filepath.Join(dir, "storage"), port, authConfig)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(config), 0o600); err != nil {
		return "", nil, err
	}
	logPath := filepath.Join(dir, "registry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", nil, err
	}
	defer logFile.Close()
	cmd = exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	cmd.Dir = dir
	// Its own process group, stopped whole; its output goes to a file,
	// never to the test's own stdout or stderr, which a child holding them
	// open would keep `go test` waiting on.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	// Wait, boundedly, for the registry's API to answer.
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return addr, cmd, nil
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			return "", cmd, fmt.Errorf("the registry did not start on %s: %v\n%s", addr, err, out)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// stopProcess kills a process group and reaps its leader.
func stopProcess(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
}

// serveProxy serves h on a free loopback port for the rest of the script.
func serveProxy(ts *testscript.TestScript, h http.Handler) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(l)
	ts.Defer(func() { srv.Close() })
	return l.Addr().String()
}

func reverseProxy(upstream string) *httputil.ReverseProxy {
	u := &url.URL{Scheme: "http", Host: upstream}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorLog = log.New(io.Discard, "", 0)
	return p
}

var repoInPath = regexp.MustCompile(`^/v2/(.+?)/(?:manifests|blobs|tags)/`)

// tokenProxy demands a bearer token for the registry API, as registries
// with token authentication do, and issues tokens at /token to a client
// that presents user and password (HTTP basic auth).
func tokenProxy(upstream, user, password string) http.Handler {
	proxy := reverseProxy(upstream)
	var mu sync.Mutex
	tokens := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != password {
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
				return
			}
			b := make([]byte, 16)
			rand.Read(b)
			tok := hex.EncodeToString(b)
			mu.Lock()
			tokens[tok] = true
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300})
			return
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		valid := tokens[tok]
		mu.Unlock()
		if !valid {
			challenge := fmt.Sprintf(`Bearer realm="http://%s/token",service="ork-test"`, r.Host)
			if m := repoInPath.FindStringSubmatch(r.URL.Path); m != nil {
				challenge += fmt.Sprintf(`,scope="repository:%s:pull,push"`, m[1])
			}
			w.Header().Set("WWW-Authenticate", challenge)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		r.Header.Del("Authorization")
		proxy.ServeHTTP(w, r)
	})
}

// dyingProxy passes everything to the registry but cuts each blob download
// after n bytes by closing the connection: a registry that dies mid-pull.
func dyingProxy(upstream string, n int) http.Handler {
	proxy := reverseProxy(upstream)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
			proxy.ServeHTTP(w, r)
			return
		}
		proxy.ServeHTTP(&cutWriter{ResponseWriter: w, left: n}, r)
	})
}

// corruptRegistry changes the last byte of every gzip blob (the layers of
// tar+gzip artifacts) in a registry's storage, behind the registry's back:
// it serves them as they are, with their old digests.
func corruptRegistry(ts *testscript.TestScript, name string) {
	key := ts.Getenv("WORK") + "\x00" + name
	running.mu.Lock()
	r := running.all[key]
	running.mu.Unlock()
	if r == nil {
		ts.Fatalf("no registry %s", name)
	}
	n := 0
	err := filepath.WalkDir(filepath.Join(r.storage, "docker", "registry", "v2", "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "data" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(data) < 2 || !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			return nil
		}
		data[len(data)-1] ^= 0xff
		n++
		return os.WriteFile(p, data, 0o644)
	})
	ts.Check(err)
	if n == 0 {
		ts.Fatalf("registry %s stores no gzip blob to corrupt", name)
	}
}

// pushUntitled pushes, with the oras CLI, an artifact whose one layer is
// file, of the given media type, with no title annotation.
func pushUntitled(ts *testscript.TestScript, file, mediaType, ref string) {
	data, err := os.ReadFile(ts.MkAbs(file))
	ts.Check(err)
	repo, _, ok := strings.Cut(ref, ":")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo, ok = ref[:i], true
	}
	if !ok {
		ts.Fatalf("%s has no tag", ref)
	}
	dir, err := os.MkdirTemp("", "ork-untitled-*")
	ts.Check(err)
	defer os.RemoveAll(dir)
	config := filepath.Join(dir, "config.json")
	ts.Check(os.WriteFile(config, []byte("{}"), 0o644))
	sum := sha256.Sum256(data)
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},`+
		`"layers":[{"mediaType":%q,"digest":"sha256:%s","size":%d}]}`, mediaType, hex.EncodeToString(sum[:]), len(data))
	manifestPath := filepath.Join(dir, "manifest.json")
	ts.Check(os.WriteFile(manifestPath, []byte(manifest), 0o644))
	for _, args := range [][]string{
		{"blob", "push", "--plain-http", repo, ts.MkAbs(file)},
		{"blob", "push", "--plain-http", repo, config},
		{"manifest", "push", "--plain-http", ref, manifestPath},
	} {
		if err := ts.Exec("oras", args...); err != nil {
			ts.Fatalf("oras %s: %v", strings.Join(args, " "), err)
		}
	}
}
