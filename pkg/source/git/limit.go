package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// DefaultMaxBytes is the most one fetch reads from a Git server over
// HTTP(S) unless the Fetcher says otherwise: 64 MiB, as for OCI artifacts.
const DefaultMaxBytes = 64 << 20

// ErrTooLarge is returned when a server sends more than the limit: a huge
// repository, or a server that never stops.
var ErrTooLarge = errors.New("the server sent more than the limit")

// budget is what one fetch may still read.
type budget struct {
	left atomic.Int64
	max  int64
}

type budgetKey struct{}

// withBudget gives the HTTP requests made under ctx max bytes to read, in
// all.
func withBudget(ctx context.Context, max int64) context.Context {
	b := &budget{max: max}
	b.left.Store(max)
	return context.WithValue(ctx, budgetKey{}, b)
}

var installOnce sync.Once

// installLimitedHTTP makes go-git's http and https transports count what
// they read against the budget of the request's context. go-git has one
// transport per scheme, process-wide; requests without a budget are not
// limited.
func installLimitedHTTP() {
	installOnce.Do(func() {
		c := githttp.NewClient(&http.Client{Transport: limitedTransport{http.DefaultTransport}})
		client.InstallProtocol("http", c)
		client.InstallProtocol("https", c)
	})
}

type limitedTransport struct{ base http.RoundTripper }

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if b, ok := req.Context().Value(budgetKey{}).(*budget); ok {
		resp.Body = &limitedBody{ReadCloser: resp.Body, b: b}
	}
	return resp, nil
}

type limitedBody struct {
	io.ReadCloser
	b *budget
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.b.left.Load() < 0 {
		return 0, l.tooLarge()
	}
	n, err := l.ReadCloser.Read(p)
	if l.b.left.Add(-int64(n)) < 0 {
		return 0, l.tooLarge()
	}
	return n, err
}

func (l *limitedBody) tooLarge() error {
	return fmt.Errorf("%w of %d MiB", ErrTooLarge, l.b.max>>20)
}
