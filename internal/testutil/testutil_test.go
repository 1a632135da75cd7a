package testutil

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestSyncBufferAndWriteFiles(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { b.Write([]byte("x")) })
	}
	wg.Wait()
	if got := b.String(); got != "xxxxxxxx" {
		t.Errorf("String() = %q after 8 concurrent writes of x", got)
	}
	dir := t.TempDir()
	WriteFiles(t, dir, map[string]string{"ivr/main.star": "def handler(s, a): pass\n", "top.star": ""})
	got, err := os.ReadFile(filepath.Join(dir, "ivr", "main.star"))
	if err != nil || string(got) != "def handler(s, a): pass\n" {
		t.Errorf("ivr/main.star = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "top.star")); err != nil {
		t.Error(err)
	}
}
