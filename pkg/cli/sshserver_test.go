package cli

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The OpenSSH programs sshserve needs: the server, and the client tools a
// user has (the agent holds the key, as on a developer's machine).
var sshTools = []string{"ssh", "ssh-keygen", "ssh-agent", "ssh-add"}

// sshd finds OpenSSH's server: /usr/sbin/sshd, where Debian installs it and
// where PATH rarely reaches for users other than root, else on PATH.
func sshd() (string, error) {
	if _, err := os.Stat("/usr/sbin/sshd"); err == nil {
		return "/usr/sbin/sshd", nil
	}
	return exec.LookPath("sshd")
}

// sshMissing says which OpenSSH program is missing, or "" when none is.
func sshMissing() string {
	if _, err := sshd(); err != nil {
		return "sshd"
	}
	for _, t := range sshTools {
		if _, err := exec.LookPath(t); err != nil {
			return t
		}
	}
	return ""
}

// sshCondition implements the script condition [sshd]: true when OpenSSH's
// server and client tools are installed. When one is missing it is false,
// so `[!sshd] skip` skips, unless ORK_REQUIRE_SSH is set (CI sets it): then
// the script fails, so that CI cannot pass the ssh tests by skipping them.
func sshCondition(cond string) (bool, error) {
	if cond != "sshd" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if m := sshMissing(); m != "" {
		if os.Getenv("ORK_REQUIRE_SSH") != "" {
			return false, fmt.Errorf("ORK_REQUIRE_SSH is set, but %s", sshMissingMessage(m))
		}
		return false, nil // skipped; CI sets ORK_REQUIRE_SSH so that it cannot pass this way
	}
	return true, nil
}

func sshMissingMessage(prog string) string {
	return fmt.Sprintf("the ssh tests need OpenSSH (%s not found): run .ci/ssh.sh (as root: installs openssh-server and openssh-client, creates /run/sshd)", prog)
}

// cmdSSHServe starts a real OpenSSH server on 127.0.0.1 for the rest of the
// script, as a user's Git host would be reached over ssh:
//
//	sshserve NAME ROOT
//
// It makes a host key and a client key, starts sshd (public-key logins
// only, as the current user) and an ssh-agent holding the client key, and
// writes $HOME/.ssh/known_hosts with the server's host keys. NAME is set to
// ssh://USER@127.0.0.1:PORT/ABSOLUTE/ROOT, so "${NAME}/repo" is the
// repository ROOT/repo, and SSH_AUTH_SOCK to the agent's socket. Its files
// are kept in $WORK/sshd (sshd.log holds the server's log), among them
// other known_hosts files for scripts to use instead: known_hosts.ed25519
// and known_hosts.ecdsa, each with one of the server's two host keys, and
// known_hosts.changed, with a key for the server's address that is not its.
// Everything is stopped when the script ends.
func cmdSSHServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sshserve NAME ROOT")
	}
	if m := sshMissing(); m != "" {
		// A script guards with `[!sshd] skip`; reaching this point means
		// the guard is missing or OpenSSH is required.
		ts.Fatalf("%s", sshMissingMessage(m))
	}
	name, root := args[0], ts.MkAbs(args[1])
	sshdPath, _ := sshd()
	u, err := user.Current()
	ts.Check(err)
	dir := filepath.Join(ts.Getenv("WORK"), "sshd")
	if _, err := os.Stat(dir); err == nil {
		ts.Fatalf("sshserve: one server per script (%s exists)", dir)
	}
	ts.Check(os.MkdirAll(dir, 0o700))

	// sshd refuses to start without its privilege-separation directory
	// (only a root sshd uses it).
	if os.Geteuid() == 0 {
		ts.Check(os.MkdirAll("/run/sshd", 0o755))
	}

	// Keys: two host keys, as real servers offer several, and the client's.
	keygen := func(kind, file string) {
		out, err := exec.Command("ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "ork-test", "-f", file).CombinedOutput()
		if err != nil {
			ts.Fatalf("ssh-keygen -t %s: %v\n%s", kind, err, out)
		}
	}
	hostKeys := map[string]string{"ed25519": filepath.Join(dir, "host_ed25519_key"), "ecdsa": filepath.Join(dir, "host_ecdsa_key")}
	for _, kind := range []string{"ed25519", "ecdsa"} {
		keygen(kind, hostKeys[kind])
	}
	clientKey := filepath.Join(dir, "id_ed25519")
	keygen("ed25519", clientKey)
	strange := filepath.Join(dir, "strange_host_key")
	keygen("ed25519", strange)
	pub, err := os.ReadFile(clientKey + ".pub")
	ts.Check(err)
	authorized := filepath.Join(dir, "authorized_keys")
	ts.Check(os.WriteFile(authorized, pub, 0o600))

	// sshd, on a free port, logging to a file: its output must not be the
	// test's, or `go test` waits for the children that inherit it.
	port := freePort(ts)
	config := filepath.Join(dir, "sshd_config")
	lines := []string{
		"ListenAddress 127.0.0.1",
		"Port " + strconv.Itoa(port),
		"HostKey " + hostKeys["ed25519"],
		"HostKey " + hostKeys["ecdsa"],
		"AuthorizedKeysFile " + authorized,
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AllowUsers " + u.Username,
		"PermitUserEnvironment no",
		"PrintMotd no",
		"UseDNS no",
		"LogLevel VERBOSE",
	}
	if os.Geteuid() == 0 {
		lines = append(lines, "PermitRootLogin prohibit-password")
	}
	// OpenSSH 9.8 and later refuse, for a while, an address whose logins
	// failed: the scripts' own failure cases would lock the next ones out.
	// Older servers do not know the option.
	penalties := append(append([]string{}, lines...), "PerSourcePenalties no")
	ts.Check(os.WriteFile(config, []byte(strings.Join(penalties, "\n")+"\n"), 0o600))
	if out, err := exec.Command(sshdPath, "-t", "-f", config).CombinedOutput(); err != nil {
		if !bytes.Contains(out, []byte("PerSourcePenalties")) {
			ts.Fatalf("sshd -t -f %s: %v\n%s", config, err, out)
		}
		ts.Check(os.WriteFile(config, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	}
	logPath := filepath.Join(dir, "sshd.log")
	sshdLog, err := os.Create(logPath)
	ts.Check(err)
	defer sshdLog.Close() // the child holds its own copy
	srv := exec.Command(sshdPath, "-D", "-e", "-f", config)
	srv.Stdout, srv.Stderr = sshdLog, sshdLog
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ts.Check(srv.Start())
	srvDone := make(chan struct{})
	go func() { srv.Wait(); close(srvDone) }()
	ts.Defer(func() { stopGroup(srv.Process.Pid, srvDone) })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitListening(addr, srvDone); err != nil {
		log, _ := os.ReadFile(logPath)
		ts.Fatalf("sshd did not start on %s: %v\n%s", addr, err, log)
	}

	// The user's agent, holding the client key. A socket path may not be
	// longer than about 100 bytes: a deep work directory gets a short one.
	sock := filepath.Join(dir, "agent.sock")
	if len(sock) > 100 {
		short, err := os.MkdirTemp("/tmp", "ork-ssh-")
		ts.Check(err)
		ts.Defer(func() { os.RemoveAll(short) })
		sock = filepath.Join(short, "agent.sock")
	}
	agentLog, err := os.Create(filepath.Join(dir, "ssh-agent.log"))
	ts.Check(err)
	defer agentLog.Close()
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	agent.Stdout, agent.Stderr = agentLog, agentLog
	agent.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ts.Check(agent.Start())
	agentDone := make(chan struct{})
	go func() { agent.Wait(); close(agentDone) }()
	ts.Defer(func() { stopGroup(agent.Process.Pid, agentDone) })
	if err := waitListening("unix:"+sock, agentDone); err != nil {
		ts.Fatalf("ssh-agent did not start on %s: %v", sock, err)
	}
	add := exec.Command("ssh-add", clientKey)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		ts.Fatalf("ssh-add: %v\n%s", err, out)
	}

	// known_hosts as ssh-keyscan, or OpenSSH's ssh after a first
	// connection, writes it for a server on a port other than 22.
	var known []string
	for _, kind := range []string{"ed25519", "ecdsa"} {
		pub, err := os.ReadFile(hostKeys[kind] + ".pub")
		ts.Check(err)
		f := strings.Fields(string(pub))
		line := fmt.Sprintf("[127.0.0.1]:%d %s %s\n", port, f[0], f[1])
		ts.Check(os.WriteFile(filepath.Join(dir, "known_hosts."+kind), []byte(line), 0o644))
		known = append(known, line)
	}
	pub, err = os.ReadFile(strange + ".pub")
	ts.Check(err)
	f := strings.Fields(string(pub))
	ts.Check(os.WriteFile(filepath.Join(dir, "known_hosts.changed"), fmt.Appendf(nil, "[127.0.0.1]:%d %s %s\n", port, f[0], f[1]), 0o644))
	home := ts.Getenv("HOME")
	ts.Check(os.MkdirAll(filepath.Join(home, ".ssh"), 0o700))
	ts.Check(os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(strings.Join(known, "")), 0o644))

	ts.Setenv("SSH_AUTH_SOCK", sock)
	ts.Setenv(name, fmt.Sprintf("ssh://%s@%s%s", u.Username, addr, filepath.ToSlash(root)))
}

// waitListening waits, boundedly, until addr ("HOST:PORT", or "unix:PATH")
// accepts connections, or the process behind it has exited.
func waitListening(addr string, exited <-chan struct{}) error {
	network := "tcp"
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", p
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout(network, addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("the process exited")
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopGroup stops a server started in its own process group: it first lets
// the server's children (sshd's per-connection processes, which make their
// own sessions and so leave the group) finish, boundedly, so that the server
// reaps them; then it kills the group and waits for the server.
func stopGroup(pid int, done <-chan struct{}) {
	deadline := time.Now().Add(5 * time.Second)
	for len(childrenOf(pid)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range childrenOf(pid) {
		syscall.Kill(c, syscall.SIGKILL)
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	<-done
}

// childrenOf lists the processes whose parent is pid (Linux's /proc; none
// elsewhere).
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, child)
		}
	}
	return kids
}
