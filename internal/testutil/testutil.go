// Package testutil holds the small helpers that the tests of several
// packages share: a buffer a logger can write to while the test reads it,
// and a way to lay out a tree of script files.
package testutil

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// SyncBuffer is a bytes.Buffer safe for one goroutine writing (a logger, a
// child process's output) while another reads.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WriteFiles writes files under dir, creating directories as needed. Names
// are slash-separated paths relative to dir ("ivr/main.star"); a failure
// ends the test.
func WriteFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	if err := WriteTree(dir, files); err != nil {
		tb.Fatal(err)
	}
}

// WriteTree is WriteFiles without a testing.TB: it returns the first
// failure, naming the file.
func WriteTree(dir string, files map[string]string) error {
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}
