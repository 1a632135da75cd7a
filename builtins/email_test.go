package builtins

import (
	"bufio"
	"encoding/base64"
	"io"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// smtpMessage is one message a testSMTP server received.
type smtpMessage struct {
	from  string
	rcpts []string
	auth  string // the decoded AUTH PLAIN response, "" without AUTH
	data  string
}

// testSMTP is a small SMTP server on 127.0.0.1 (EHLO, AUTH PLAIN, MAIL,
// RCPT, DATA, QUIT) that records what it receives. rejectRcpt makes it
// refuse that recipient.
type testSMTP struct {
	ln         net.Listener
	rejectRcpt string
	mu         sync.Mutex
	got        []smtpMessage
}

func newTestSMTP(t *testing.T) *testSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testSMTP{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(c) })
		}
	})
	return s
}

func (s *testSMTP) addr() string { return s.ln.Addr().String() }

func (s *testSMTP) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.got...)
}

func (s *testSMTP) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 test ESMTP")
	var m smtpMessage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-test")
			say("250 AUTH PLAIN")
		case "AUTH":
			f := strings.Fields(line)
			dec, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			m.auth = string(dec)
			say("235 ok")
		case "MAIL":
			m.from = strings.TrimSuffix(strings.TrimPrefix(line[len("MAIL FROM:"):], "<"), ">")
			say("250 ok")
		case "RCPT":
			rcpt := strings.TrimSuffix(strings.TrimPrefix(line[len("RCPT TO:"):], "<"), ">")
			if rcpt == s.rejectRcpt {
				say("550 no such user")
				continue
			}
			m.rcpts = append(m.rcpts, rcpt)
			say("250 ok")
		case "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.data = b.String()
			s.mu.Lock()
			s.got = append(s.got, m)
			s.mu.Unlock()
			m = smtpMessage{}
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestEmail(t *testing.T) {
	srv := newTestSMTP(t)
	root := t.TempDir()
	rec := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "note.txt"), []byte("from the script dir"), 0o644); err != nil {
		t.Fatal(err)
	}
	wav := []byte(strings.Repeat("RIFF-wave-bytes-", 20))
	if err := os.WriteFile(filepath.Join(rec, "msg.wav"), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{Roots: []string{root}, Email: EmailOptions{Server: srv.addr(), Username: "vm", Password: "s3cret", AttachmentDirs: []string{rec}}}

	t.Run("plain", func(t *testing.T) {
		got, err := run(t, opts, newCall(t), `result = freeswitch.email("a@example.com, b@example.com", "pbx@example.com", "Subject: Missed call\nX-Caller: 1000", "You have a missed call.\n")`)
		if err != nil || got.String() != "True" {
			t.Fatalf("email = %v, %v", got, err)
		}
		ms := srv.messages()
		m := ms[len(ms)-1]
		if m.from != "pbx@example.com" || strings.Join(m.rcpts, ",") != "a@example.com,b@example.com" || m.auth != "\x00vm\x00s3cret" {
			t.Fatalf("envelope: %+v", m)
		}
		msg, err := mail.ReadMessage(strings.NewReader(m.data))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(msg.Body)
		if msg.Header.Get("Subject") != "Missed call" || msg.Header.Get("X-Caller") != "1000" ||
			msg.Header.Get("From") != "pbx@example.com" || msg.Header.Get("To") != "a@example.com, b@example.com" ||
			msg.Header.Get("Content-Type") != "" || string(body) != "You have a missed call.\r\n" {
			t.Fatalf("message:\n%s", m.data)
		}
	})
	t.Run("attachment", func(t *testing.T) {
		got, err := run(t, opts, newCall(t), `result = freeswitch.email("a@example.com", "", "From: Voicemail <vm@example.com>\nSubject: New voicemail", "Listen to it.", "`+filepath.Join(rec, "msg.wav")+`")`)
		if err != nil || got.String() != "True" {
			t.Fatalf("email = %v, %v", got, err)
		}
		ms := srv.messages()
		m := ms[len(ms)-1]
		if m.from != "freeswitch" {
			t.Errorf("envelope sender %q, want the switch's default freeswitch", m.from)
		}
		for _, want := range []string{
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XXXX_boundary_XXXX\"\r\n",
			"From: Voicemail <vm@example.com>\r\n",
			"--XXXX_boundary_XXXX\r\nContent-Type: text/plain\r\n\r\nListen to it.",
			"Content-Type: audio/x-wav; name=\"msg.wav\"\r\n",
			"Content-Disposition: attachment; filename=\"msg.wav\"\r\n\r\n",
			"--XXXX_boundary_XXXX--",
		} {
			if !strings.Contains(m.data, want) {
				t.Errorf("message lacks %q:\n%s", want, m.data)
			}
		}
		_, rest, _ := strings.Cut(m.data, "filename=\"msg.wav\"\r\n\r\n")
		b64, _, _ := strings.Cut(rest, "\r\n\r\n--")
		for _, l := range strings.Split(b64, "\r\n") {
			if len(l) > 72 {
				t.Fatalf("base64 line of %d columns", len(l))
			}
		}
		dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b64, "\r\n", ""))
		if err != nil || string(dec) != string(wav) {
			t.Fatalf("attachment = %q, %v", dec, err)
		}
	})
	t.Run("relative file from the script directories", func(t *testing.T) {
		got, err := run(t, opts, newCall(t), `result = freeswitch.email("a@example.com", "x@example.com", "Subject: n", "b", "note.txt")`)
		if err != nil || got.String() != "True" {
			t.Fatalf("email = %v, %v", got, err)
		}
		ms := srv.messages()
		if !strings.Contains(ms[len(ms)-1].data, "Content-Type: text/plain; name=\"note.txt\"") {
			t.Fatalf("message:\n%s", ms[len(ms)-1].data)
		}
	})
	runCases(t, opts, []scriptCase{
		{name: "no to", src: `result = freeswitch.email("", "x@example.com")`, want: "False"},
		{name: "missing file", src: `result = freeswitch.email("a@example.com", "x", "", "", "` + filepath.Join(rec, "none.wav") + `")`, want: "False"},
		{name: "outside the attachment directories", src: `freeswitch.email("a@example.com", "x", "", "", "/etc/passwd")`, wantErr: `freeswitch.email: file: not allowed: "/etc/passwd" is in no smtp-attachment-directory`},
		{name: "dotdot", src: `freeswitch.email("a@example.com", "x", "", "", "../x")`, wantErr: `freeswitch.email: file: not allowed: "../x": ".." is not allowed`},
		{name: "convert_cmd", src: `freeswitch.email("a@example.com", "x", "", "", "note.txt", "sox", "mp3")`, wantErr: "convert_cmd is not supported"},
	})
	t.Run("refused recipient", func(t *testing.T) {
		srv.rejectRcpt = "nobody@example.com"
		defer func() { srv.rejectRcpt = "" }()
		got, err := run(t, opts, newCall(t), `result = freeswitch.email("nobody@example.com", "x@example.com", "Subject: n", "b")`)
		if err != nil || got.String() != "False" {
			t.Fatalf("email = %v, %v; want False", got, err)
		}
	})
	t.Run("no server", func(t *testing.T) {
		_, err := run(t, Options{}, newCall(t), `freeswitch.email("a@example.com", "x")`)
		if err == nil || !strings.Contains(err.Error(), "freeswitch.email: no SMTP server is configured (set smtp-server") {
			t.Fatalf("err = %v", err)
		}
	})
}
