// Package git reads git: sources with go-git: it resolves a branch, tag or
// commit to a commit id, and fetches only what that commit needs, into
// memory, caching the resulting tree by content.
package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/source"
)

// ErrOffline is returned when a fetch is needed but ork runs --offline.
var ErrOffline = errors.New("not in the cache, and --offline forbids fetching it")

// Fetcher resolves and fetches Git sources.
type Fetcher struct {
	Cache    *cache.Cache
	Offline  bool
	Progress io.Writer // go-git's progress messages, or nil
	// Auth returns the credentials for a repository URL, or nil.
	Auth func(repoURL string) (transport.AuthMethod, error)
	// MaxBytes is the most one fetch reads over HTTP(S); 0: DefaultMaxBytes.
	MaxBytes int64
}

var commitID = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// IsCommit reports whether ref is a full commit id rather than a name.
func IsCommit(ref string) bool { return commitID.MatchString(ref) }

// auth returns the credentials for repoURL: Auth's (for https, ~/.netrc),
// else, for ssh, the user's ssh-agent checked against known_hosts.
func (f *Fetcher) auth(repoURL string) (transport.AuthMethod, error) {
	if f.Auth != nil {
		if a, err := f.Auth(repoURL); a != nil || err != nil {
			return a, err
		}
	}
	return sshAgentAuth(repoURL)
}

// sshAgentAuth is go-git's default for ssh URLs (the keys of the user's
// ssh-agent at SSH_AUTH_SOCK, the URL's user or else the current one, the
// host key checked against $SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts and
// /etc/ssh/ssh_known_hosts) with two differences. It offers the server only
// the host key algorithms known_hosts holds for the host, as OpenSSH does:
// go-git's default offers golang.org/x/crypto's order, ECDSA and RSA before
// Ed25519, so a server with several host keys, and a known_hosts with only
// its Ed25519 key, failed with "knownhosts: key mismatch" (go-git issues 411,
// 1551). And its errors say what to do. It is nil for other schemes.
func sshAgentAuth(repoURL string) (transport.AuthMethod, error) {
	ep, err := transport.NewEndpoint(repoURL)
	if err != nil || ep.Protocol != "ssh" {
		return nil, nil
	}
	u := redact(repoURL)
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, fmt.Errorf("%s: ork signs in over ssh with the keys in your ssh-agent, and SSH_AUTH_SOCK is not set; start ssh-agent and ssh-add your key", u)
	}
	a, err := gitssh.NewSSHAgentAuth(ep.User)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot reach the ssh-agent at SSH_AUTH_SOCK=%s (%v)", u, sock, err)
	}
	signers := a.Callback
	a.Callback = func() ([]ssh.Signer, error) {
		s, err := signers()
		if err == nil && len(s) == 0 {
			err = fmt.Errorf("%w: the ssh-agent holds no keys", transport.ErrAuthenticationRequired)
		}
		return s, err
	}
	files := knownHostsFiles()
	db, err := gitssh.NewKnownHostsDb(files...)
	if err != nil {
		if !anyExists(files) {
			return nil, fmt.Errorf("%s: there is no known_hosts file to check the server's host key against (%s); connecting once with ssh writes one, or name one in SSH_KNOWN_HOSTS", u, strings.Join(files, ", "))
		}
		return nil, fmt.Errorf("%s: known_hosts: %w", u, err)
	}
	check := db.HostKeyCallback()
	a.HostKeyAlgorithms = db.HostKeyAlgorithms(sshAddr(ep))
	a.HostKeyCallback = func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := check(host, remote, key)
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			return err
		}
		h, fp := knownhosts.Normalize(host), ssh.FingerprintSHA256(key)
		if len(ke.Want) == 0 {
			return fmt.Errorf("the host key of %s (%s %s) is not in known_hosts (%s); check it and add it there (ssh offers to when you connect once)", h, key.Type(), fp, strings.Join(files, ", "))
		}
		return fmt.Errorf("the host key of %s (%s %s) is not the one %s:%d holds for it: the server's key changed, or something is in the way; ork will not connect", h, key.Type(), fp, ke.Want[0].Filename, ke.Want[0].Line)
	}
	return a, nil
}

// knownHostsFiles are the files go-git reads host keys from.
func knownHostsFiles() []string {
	if files := filepath.SplitList(os.Getenv("SSH_KNOWN_HOSTS")); len(files) > 0 {
		return files
	}
	var files []string
	if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".ssh", "known_hosts"))
	}
	return append(files, "/etc/ssh/ssh_known_hosts")
}

func anyExists(files []string) bool {
	for _, f := range files {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			return true
		}
	}
	return false
}

// sshAddr is the address go-git dials for an ssh endpoint, and so the host
// known_hosts must name: ~/.ssh/config's Hostname (and then Port) for it.
func sshAddr(ep *transport.Endpoint) string {
	host, port := ep.Host, ep.Port
	if c := gitssh.DefaultSSHConfig; c != nil {
		if h := c.Get(ep.Host, "Hostname"); h != "" {
			host = h
			if p, err := strconv.Atoi(c.Get(ep.Host, "Port")); err == nil {
				port = p
			}
		}
	}
	if port <= 0 {
		port = gitssh.DefaultPort
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// Resolve returns the commit that ref (a branch, a tag, HEAD or a commit id)
// names in the repository at repoURL, asking the server.
func (f *Fetcher) Resolve(ctx context.Context, repoURL, ref string) (string, error) {
	if IsCommit(ref) {
		return ref, nil
	}
	if f.Offline {
		return "", fmt.Errorf("resolving %q needs the network: %w", ref, ErrOffline)
	}
	auth, err := f.auth(repoURL)
	if err != nil {
		return "", err
	}
	remote := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{repoURL}})
	refs, err := remote.ListContext(f.budget(ctx), &gogit.ListOptions{Auth: auth, PeelingOption: gogit.AppendPeeled})
	if err != nil {
		return "", describe(repoURL, err)
	}
	byName := map[plumbing.ReferenceName]*plumbing.Reference{}
	for _, r := range refs {
		byName[r.Name()] = r
	}
	candidates := []plumbing.ReferenceName{plumbing.ReferenceName(ref)}
	if ref == "HEAD" {
		candidates = []plumbing.ReferenceName{plumbing.HEAD}
	} else if !strings.HasPrefix(ref, "refs/") {
		candidates = []plumbing.ReferenceName{plumbing.NewBranchReferenceName(ref), plumbing.NewTagReferenceName(ref)}
	}
	for _, name := range candidates {
		r, ok := byName[name]
		if !ok {
			continue
		}
		if r.Type() == plumbing.SymbolicReference {
			if r, ok = byName[r.Target()]; !ok {
				continue
			}
		}
		// An annotated tag names a tag object; the server lists the
		// commit it points to as name^{}.
		if peeled, ok := byName[plumbing.ReferenceName(string(name)+"^{}")]; ok {
			return peeled.Hash().String(), nil
		}
		return r.Hash().String(), nil
	}
	return "", fmt.Errorf("%s has no branch or tag %q (it has %s)", redact(repoURL), ref, listRefs(refs))
}

func listRefs(refs []*plumbing.Reference) string {
	var names []string
	for _, r := range refs {
		n := r.Name()
		if (n.IsBranch() || n.IsTag()) && !strings.HasSuffix(n.String(), "^{}") {
			names = append(names, n.Short())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "no branches or tags"
	}
	if len(names) > 10 {
		names = append(names[:10], fmt.Sprintf("and %d more", len(names)-10))
	}
	return strings.Join(names, ", ")
}

// cacheKey names what a fetched tree holds.
func cacheKey(repoURL, commit, dir string) string {
	return "git\x00" + repoURL + "\x00" + commit + "\x00" + dir
}

// Tree returns the files below dir at commit, from the cache when it holds
// them, else fetched (ref, the name the commit was resolved from, lets the
// fetch stay shallow).
func (f *Fetcher) Tree(ctx context.Context, repoURL, ref, commit, dir string) (*source.Tree, error) {
	key := cacheKey(repoURL, commit, dir)
	if digest, ok := f.Cache.Lookup(key); ok {
		t, err := f.Cache.Tree(digest)
		if err == nil {
			return t, nil
		}
		if f.Offline {
			return nil, fmt.Errorf("commit %s: %w; run without --offline to fetch it again", short(commit), err)
		}
	}
	if f.Offline {
		return nil, fmt.Errorf("commit %s: %w", short(commit), ErrOffline)
	}
	c, err := f.fetch(ctx, repoURL, ref, commit)
	if err != nil {
		return nil, err
	}
	t, err := treeAt(c, dir)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", redact(repoURL), short(commit), err)
	}
	digest, err := f.Cache.PutTree(t)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if err := f.Cache.Record(key, digest); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return t, nil
}

// budget limits what the HTTP(S) requests made under ctx read, in all.
func (f *Fetcher) budget(ctx context.Context) context.Context {
	installLimitedHTTP()
	max := f.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	return withBudget(ctx, max)
}

// fetch brings commit into memory: first the named ref alone at depth 1,
// which is the commit unless the ref has moved since it was pinned; then
// the commit by id at depth 1, which servers allow when configured to; then
// every branch and tag in full.
func (f *Fetcher) fetch(ctx context.Context, repoURL, ref, commit string) (*object.Commit, error) {
	ctx = f.budget(ctx)
	auth, err := f.auth(repoURL)
	if err != nil {
		return nil, err
	}
	repo, err := gogit.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{repoURL}}); err != nil {
		return nil, err
	}
	attempts := [][]config.RefSpec{}
	if ref != "" && !IsCommit(ref) && ref != "HEAD" && !strings.HasPrefix(ref, "refs/") {
		attempts = append(attempts,
			[]config.RefSpec{config.RefSpec("+refs/heads/" + ref + ":refs/remotes/origin/" + ref)},
			[]config.RefSpec{config.RefSpec("+refs/tags/" + ref + ":refs/tags/" + ref)})
	}
	attempts = append(attempts, []config.RefSpec{config.RefSpec(commit + ":refs/ork/pin")})
	var lastErr error
	for _, specs := range attempts {
		err := repo.FetchContext(ctx, &gogit.FetchOptions{RemoteName: "origin", RefSpecs: specs, Depth: 1, Auth: auth, Tags: gogit.NoTags, Progress: f.Progress})
		if err == nil || errors.Is(err, gogit.NoErrAlreadyUpToDate) {
			if c, err := repo.CommitObject(plumbing.NewHash(commit)); err == nil {
				return c, nil
			}
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if isTransportFailure(err) || strings.Contains(err.Error(), ErrTooLarge.Error()) {
			return nil, describe(repoURL, err)
		}
		lastErr = err
	}
	// The full history: slow, but it finds any commit a branch or tag reaches.
	full, err := gogit.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	if _, err := full.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{repoURL}}); err != nil {
		return nil, err
	}
	err = full.FetchContext(ctx, &gogit.FetchOptions{RemoteName: "origin", Auth: auth, Progress: f.Progress,
		RefSpecs: []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"}})
	if err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return nil, describe(repoURL, err)
	}
	c, err := full.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		if lastErr != nil {
			return nil, fmt.Errorf("%s has no commit %s on any branch or tag (%v)", redact(repoURL), short(commit), lastErr)
		}
		return nil, fmt.Errorf("%s has no commit %s on any branch or tag", redact(repoURL), short(commit))
	}
	return c, nil
}

// treeAt reads the wanted files below dir of a commit.
func treeAt(c *object.Commit, dir string) (*source.Tree, error) {
	root, err := c.Tree()
	if err != nil {
		return nil, err
	}
	dir = strings.Trim(path.Clean("/"+dir), "/")
	t := root
	if dir != "" {
		if t, err = root.Tree(dir); err != nil {
			return nil, fmt.Errorf("path %q is not a directory in the repository", dir)
		}
	}
	return wanted(t, dir)
}

// hidden reports whether a path has a component starting with a dot, which
// sources skip as directories do.
func hidden(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if strings.HasPrefix(c, ".") {
			return true
		}
	}
	return false
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

func isTransportFailure(err error) bool {
	return errors.Is(err, transport.ErrRepositoryNotFound) || errors.Is(err, transport.ErrAuthenticationRequired) ||
		errors.Is(err, transport.ErrAuthorizationFailed) || errors.Is(err, transport.ErrEmptyRemoteRepository) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host") ||
		strings.Contains(err.Error(), "ssh: handshake failed")
}

// describe turns go-git's errors into messages that say what to do.
func describe(repoURL string, err error) error {
	u := redact(repoURL)
	switch {
	case errors.Is(err, ErrTooLarge), strings.Contains(err.Error(), ErrTooLarge.Error()):
		return fmt.Errorf("%s sent more than ork reads from a source (%v); nothing was cached; raise the limit with --max-artifact-size", u, err)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%s is not a Git repository, or it does not exist", u)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("%s is an empty repository", u)
	case errors.Is(err, transport.ErrAuthenticationRequired), strings.Contains(err.Error(), "ssh: unable to authenticate"):
		return fmt.Errorf("%s asks for credentials ork does not have or it refused; for https, give them in ~/.netrc (or the file $NETRC names) for its host; for ssh, load a key in ssh-agent", u)
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%s refused the credentials it was given (from ~/.netrc, $NETRC or the URL)", u)
	case errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "unexpected EOF"), strings.Contains(err.Error(), "connection reset"):
		return fmt.Errorf("the transfer from %s broke off; nothing was cached (%v)", u, err)
	case strings.Contains(err.Error(), "connection refused"), strings.Contains(err.Error(), "no such host"), strings.Contains(err.Error(), "i/o timeout"):
		return fmt.Errorf("cannot reach %s: %v", u, err)
	}
	return fmt.Errorf("%s: %w", u, err)
}

// redact drops a password from a URL before it is shown.
func redact(raw string) string { return Public(raw) }

// Public is a repository URL without the credentials it may hold (a user
// name may be a token too): the form ork.lock, bundles, plans and messages
// show.
func Public(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Scheme == "ssh" && !hasPassword(u) {
		return raw // an ssh user name is not a secret
	}
	u.User = nil
	return u.String()
}

func hasPassword(u *url.URL) bool {
	_, has := u.User.Password()
	return has
}
