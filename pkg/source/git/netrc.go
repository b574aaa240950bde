package git

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// NetrcAuth returns the credentials ~/.netrc (or the file $NETRC names)
// holds for an https repository's host, as curl and so git over https read
// them; nil when there are none. Other schemes use their own means: ssh the
// user's agent and known_hosts, git:// and file:// nothing.
func NetrcAuth(repoURL string) (transport.AuthMethod, error) {
	u, err := url.Parse(repoURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, nil
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			return &githttp.BasicAuth{Username: u.User.Username(), Password: p}, nil
		}
	}
	path := os.Getenv("NETRC")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, nil
		}
		path = filepath.Join(home, ".netrc")
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netrc: %w", err)
	}
	login, password, ok := netrcLookup(string(data), u.Hostname())
	if !ok {
		return nil, nil
	}
	return &githttp.BasicAuth{Username: login, Password: password}, nil
}

// netrcLookup finds the login and password for host in a netrc file: the
// entry of its machine, else the default entry.
func netrcLookup(data, host string) (login, password string, ok bool) {
	fields := strings.Fields(data)
	var cur struct {
		match, isDefault bool
		login, password  string
	}
	var def struct {
		found           bool
		login, password string
	}
	flush := func() bool {
		if cur.match {
			login, password, ok = cur.login, cur.password, true
			return true
		}
		if cur.isDefault && !def.found {
			def.found, def.login, def.password = true, cur.login, cur.password
		}
		return false
	}
	for i := 0; i < len(fields); i++ {
		switch fields[i] {
		case "machine":
			if flush() {
				return
			}
			cur.match, cur.isDefault, cur.login, cur.password = false, false, "", ""
			if i+1 < len(fields) {
				i++
				cur.match = fields[i] == host
			}
		case "default":
			if flush() {
				return
			}
			cur.match, cur.isDefault, cur.login, cur.password = false, true, "", ""
		case "login":
			if i+1 < len(fields) {
				i++
				cur.login = fields[i]
			}
		case "password":
			if i+1 < len(fields) {
				i++
				cur.password = fields[i]
			}
		case "account":
			i++
		case "macdef":
			// A macro runs to the end of the file in this reading; ork
			// has no use for macros.
			i = len(fields)
		}
	}
	if flush() {
		return
	}
	if def.found {
		return def.login, def.password, true
	}
	return "", "", false
}
