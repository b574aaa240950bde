package oci

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	ocilayout "oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/source"
)

// ErrOffline is returned when a fetch is needed but ork runs --offline.
var ErrOffline = errors.New("not in the cache, and --offline forbids fetching it")

// ErrAuth is returned when a registry refuses the credentials ork has (or
// asks for some and ork has none).
var ErrAuth = errors.New("authentication failed")

// Client reads and writes OCI artifacts in registries and in OCI image
// layouts on disk. Its zero value works: no cache, HTTPS except for
// localhost, credentials from the Docker configuration.
type Client struct {
	// Cache holds the trees of oci: sources by manifest digest; nil: none.
	Cache *cache.Cache
	// Offline forbids the network: only digests and the cache.
	Offline bool
	// PlainHTTP speaks HTTP to every registry (always to localhost,
	// 127.0.0.1 and ::1).
	PlainHTTP bool
	// MaxSize is the largest artifact read, in bytes; 0: DefaultMaxSize.
	MaxSize int64
	// Credentials gives registry credentials; nil: the Docker
	// configuration ($DOCKER_CONFIG/config.json, else
	// ~/.docker/config.json) and the credential helpers it names, as
	// oras and docker read them.
	Credentials credentials.Store
	// CredentialsFile names where Credentials come from, for messages.
	CredentialsFile string
	// Transport carries HTTP requests; nil: http.DefaultTransport.
	Transport http.RoundTripper

	once   sync.Once
	client *auth.Client
	store  credentials.Store
	err    error
}

func (c *Client) maxSize() int64 {
	if c.MaxSize > 0 {
		return c.MaxSize
	}
	return DefaultMaxSize
}

// httpClient is the authenticating client, made on first use so that a
// broken Docker configuration matters only to those who use registries.
func (c *Client) httpClient() (*auth.Client, error) {
	c.once.Do(func() {
		c.store = c.Credentials
		if c.store == nil {
			ds, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
			if err != nil {
				c.err = fmt.Errorf("reading registry credentials from the Docker configuration: %w", err)
				return
			}
			c.store = ds
			if c.CredentialsFile == "" {
				c.CredentialsFile = ds.ConfigPath()
			}
		}
		base := c.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		c.client = &auth.Client{
			Client:     &http.Client{Transport: retry.NewTransport(base)},
			Cache:      auth.NewCache(),
			Credential: credentials.Credential(c.store),
			Header:     http.Header{"User-Agent": {"ork"}},
		}
	})
	return c.client, c.err
}

// repository opens a registry repository.
func (c *Client) repository(r Reference) (*remote.Repository, error) {
	hc, err := c.httpClient()
	if err != nil {
		return nil, err
	}
	host := r.Registry
	if host == "docker.io" {
		host = "registry-1.docker.io"
	}
	repo, err := remote.NewRepository(host + "/" + r.Repository)
	if err != nil {
		return nil, err
	}
	repo.Client = hc
	repo.PlainHTTP = c.PlainHTTP || plainHTTPByDefault(r.Registry)
	return repo, nil
}

// target opens what a reference names for reading.
func (c *Client) target(ctx context.Context, r Reference) (oras.ReadOnlyTarget, error) {
	if r.Layout != "" {
		return OpenLayout(ctx, os.DirFS(r.Layout), r.Layout)
	}
	return c.repository(r)
}

// OpenLayout opens the OCI image layout in fsys for reading; name is its
// path, for messages.
func OpenLayout(ctx context.Context, fsys fs.FS, name string) (oras.ReadOnlyTarget, error) {
	s, err := ocilayout.NewFromFS(ctx, fsys)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is not an OCI image layout (no oci-layout or index.json file)", name)
		}
		return nil, fmt.Errorf("%s: not a valid OCI image layout: %w", name, err)
	}
	return s, nil
}

// Resolve returns the manifest digest that location names now: the
// digest it gives, else the one its tag points to.
func (c *Client) Resolve(ctx context.Context, location string) (string, error) {
	r, err := Parse(location)
	if err != nil {
		return "", err
	}
	if r.Immutable() {
		return r.Digest, nil
	}
	if c.Offline && r.Layout == "" {
		return "", fmt.Errorf("%s: resolving tag %q needs the registry: %w", location, r.Tag, ErrOffline)
	}
	t, err := c.target(ctx, r)
	if err != nil {
		return "", fmt.Errorf("%s: %w", location, err)
	}
	desc, err := c.resolve(ctx, t, r)
	if err != nil {
		return "", fmt.Errorf("%s: %w", location, err)
	}
	return desc.Digest.String(), nil
}

func (c *Client) resolve(ctx context.Context, t oras.ReadOnlyTarget, r Reference) (ocispec.Descriptor, error) {
	desc, err := t.Resolve(ctx, r.Ref())
	if err != nil {
		return desc, c.describe(ctx, r, err)
	}
	if r.Digest != "" {
		desc.Digest = digest.Digest(r.Digest) // the content is checked against what was asked
	}
	return desc, nil
}

// Tree returns the Katalog files (see Artifact.Katalog) of the artifact
// with manifest digest in the repository of location: from the cache when
// it holds them, else fetched, verified and cached.
func (c *Client) Tree(ctx context.Context, location, manifestDigest string) (*source.Tree, error) {
	key := "oci\x00" + manifestDigest
	pinned := location
	if r, err := Parse(location); err == nil && r.Digest != manifestDigest {
		r.Digest = manifestDigest
		pinned = r.String()
	}
	if c.Cache != nil {
		if treeDigest, ok := c.Cache.Lookup(key); ok {
			t, err := c.Cache.Tree(treeDigest)
			if err == nil {
				return t, nil
			}
			if c.Offline {
				return nil, fmt.Errorf("%s: %w; run without --offline to fetch it again", pinned, err)
			}
		}
	}
	if c.Offline {
		return nil, fmt.Errorf("%s: %w", pinned, ErrOffline)
	}
	r, err := Parse(location)
	if err != nil {
		return nil, err
	}
	r.Digest = manifestDigest
	a, err := c.read(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pinned, err)
	}
	t := a.Katalog()
	if c.Cache != nil {
		treeDigest, err := c.Cache.PutTree(t)
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		if err := c.Cache.Record(key, treeDigest); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	return t, nil
}

// Pull reads the artifact at location, every file of it.
func (c *Client) Pull(ctx context.Context, location string) (*Artifact, error) {
	r, err := Parse(location)
	if err != nil {
		return nil, err
	}
	if c.Offline && r.Layout == "" {
		return nil, fmt.Errorf("%s: pulling needs the registry: %w", location, ErrOffline)
	}
	a, err := c.read(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", location, err)
	}
	return a, nil
}

func (c *Client) read(ctx context.Context, r Reference) (*Artifact, error) {
	t, err := c.target(ctx, r)
	if err != nil {
		return nil, err
	}
	return c.ReadFrom(ctx, t, r)
}

// ReadFrom reads the artifact that r's tag or digest names in store (an
// image layout opened with OpenLayout, a registry repository, any oras
// target), within the client's size limit.
func (c *Client) ReadFrom(ctx context.Context, t oras.ReadOnlyTarget, r Reference) (*Artifact, error) {
	desc, err := c.resolve(ctx, t, r)
	if err != nil {
		return nil, err
	}
	a, err := Read(ctx, t, desc, c.maxSize())
	if err != nil {
		return nil, c.describe(ctx, r, err)
	}
	return a, nil
}

// describe turns a registry's error into one a person can act on.
func (c *Client) describe(ctx context.Context, r Reference, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var resp *errcode.ErrorResponse
	var netErr *net.OpError
	switch {
	case errors.Is(err, errdef.ErrNotFound):
		if r.Digest != "" {
			return fmt.Errorf("manifest %s %w", r.Digest, ErrNotFound)
		}
		return fmt.Errorf("tag %q %w", r.Tag, ErrNotFound)
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return c.authError(ctx, r, http.StatusUnauthorized)
	case errors.As(err, &resp) && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
		return c.authError(ctx, r, resp.StatusCode)
	case errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("repository %s %w (%v)", r.Repository, ErrNotFound, resp.Errors)
	case errors.As(err, &netErr) && netErr.Op == "dial":
		return fmt.Errorf("registry %s is unreachable: %w", r.Registry, netErr.Err)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("registry %s speaks plain HTTP; if you trust the network, use --plain-http: %w", r.Registry, err)
	}
	return err
}

func (c *Client) authError(ctx context.Context, r Reference, status int) error {
	file := c.CredentialsFile
	if file == "" {
		file = "the configured credential store"
	}
	server := credentials.ServerAddressFromRegistry(r.Registry)
	if c.store != nil {
		cred, err := c.store.Get(ctx, server)
		if err == nil && cred == auth.EmptyCredential {
			return fmt.Errorf("registry %s asks for credentials (HTTP %d), and %s has none for %s: %w; run `docker login %s` or `oras login %s`",
				r.Registry, status, file, server, ErrAuth, r.Registry, r.Registry)
		}
	}
	if status == http.StatusForbidden {
		return fmt.Errorf("registry %s denied access to %s with the credentials for %s in %s (HTTP 403): %w", r.Registry, r.Repository, server, file, ErrAuth)
	}
	return fmt.Errorf("registry %s refused the credentials for %s in %s (HTTP 401): %w; check them with `docker login %s` or `oras login %s`",
		r.Registry, server, file, ErrAuth, r.Registry, r.Registry)
}
