package builtins

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.starlark.net/starlark"
)

// EmailOptions configure freeswitch.email: the SMTP server it hands mail to
// instead of the switch's mailer-app.
type EmailOptions struct {
	// Server is the SMTP server, host:port (smtp-server). Empty: email
	// fails with an error naming smtp-server.
	Server string
	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN (smtp-username, smtp-password). net/smtp sends them only over
	// TLS or to localhost.
	Username, Password string
	// StartTLS is "auto" (the default: upgrade when the server offers
	// STARTTLS), "always" (fail when it does not) or "never".
	StartTLS string
	// From is the sender used when the script gives none (smtp-from;
	// default "freeswitch", as the switch's email).
	From string
	// AttachmentDirs are the absolute directories an absolute file
	// argument may be in (smtp-attachment-directory), e.g. the switch's
	// recordings when fsstar runs on its host. A relative file is looked up
	// in the script directories.
	AttachmentDirs []string
	// Timeout bounds one email, connection to QUIT (default 30 s).
	Timeout time.Duration
	// TLSConfig, when set, is used for STARTTLS (tests); else the server's
	// host name is verified against the system roots.
	TLSConfig *tls.Config
}

// maxAttachmentBytes bounds the file an email attaches.
const maxAttachmentBytes = 20 << 20

// email is freeswitch.email(to, from, headers=None, body=None, file=None,
// convert_cmd=None, convert_ext=None): the message switch_simple_email
// writes, sent over SMTP. True when the server accepted it; False when to
// is empty, the file cannot be read, or the server refused the message (the
// reason is logged). convert_cmd is refused: fsstar runs no commands.
func (e *env) email(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var to, from, headers, body, file, convertCmd, convertExt string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "to", &to, "from", &from, "headers?", &headers,
		"body?", &body, "file?", &file, "convert_cmd?", &convertCmd, "convert_ext?", &convertExt); err != nil {
		return nil, err
	}
	call := CallOf(thread)
	log := e.logger(call)
	o := e.opts.Email
	if o.Server == "" {
		return nil, fmt.Errorf("%s: no SMTP server is configured (set smtp-server to host:port)", fn.Name())
	}
	if convertCmd != "" {
		return nil, fmt.Errorf("%s: convert_cmd is not supported (fsstar runs no commands); convert the file before attaching it", fn.Name())
	}
	var rcpts []string
	for _, r := range strings.Split(to, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rcpts = append(rcpts, r)
		}
	}
	if len(rcpts) == 0 {
		log.Warn("freeswitch.email: No to address specified")
		return starlark.False, nil
	}
	if from == "" {
		from = o.From
	}
	if from == "" {
		from = "freeswitch"
	}
	var attach []byte
	if file != "" {
		data, err := e.readAttachment(file)
		if errors.Is(err, errAttachmentPath) {
			return nil, fmt.Errorf("%s: file: %w", fn.Name(), err)
		}
		if err != nil {
			log.Warn("freeswitch.email: cannot read the attachment", "file", file, "error", err)
			return starlark.False, nil
		}
		attach = data
	}
	msg := composeEmail(rcpts, from, headers, body, file, attach)
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(call.ctx(), timeout)
	defer cancel()
	if err := sendSMTP(ctx, o, from, rcpts, msg); err != nil {
		log.Warn("freeswitch.email: the SMTP server did not take the message", "to", to, "server", o.Server, "error", err)
		return starlark.False, nil
	}
	log.Debug("freeswitch.email: sent", "to", to, "file", file)
	return starlark.True, nil
}

// errAttachmentPath: the file argument names a place email may not read.
var errAttachmentPath = errors.New("not allowed")

// readAttachment reads file: relative, from the script directories (as
// files.read); absolute, only inside one of the attachment directories.
func (e *env) readAttachment(file string) ([]byte, error) {
	var f *os.File
	var err error
	if filepath.IsAbs(file) {
		f, err = e.openAttachment(file)
	} else {
		f, err = e.openScriptFile(file)
		if err != nil && !errors.Is(err, errNotFound) {
			err = fmt.Errorf("%w: %w", errAttachmentPath, err)
		}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAttachmentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxAttachmentBytes {
		return nil, fmt.Errorf("%q is larger than %d bytes", file, maxAttachmentBytes)
	}
	return data, nil
}

func (e *env) openAttachment(file string) (*os.File, error) {
	clean := filepath.Clean(file)
	for _, dir := range e.opts.Email.AttachmentDirs {
		rel, err := filepath.Rel(filepath.Clean(dir), clean)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
			continue
		}
		f, err := openInRoot(dir, rel)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %q: %w", errAttachmentPath, file, cleanRootError(err))
		}
		return f, err
	}
	if len(e.opts.Email.AttachmentDirs) == 0 {
		return nil, fmt.Errorf("%w: %q: an absolute path needs smtp-attachment-directory (none is configured); a relative one is read from the script directories", errAttachmentPath, file)
	}
	return nil, fmt.Errorf("%w: %q is in no smtp-attachment-directory (%s)", errAttachmentPath, file, strings.Join(e.opts.Email.AttachmentDirs, ", "))
}

// attachTypes are the types of the switch's mime.types for the files a
// call script attaches most, so that they do not depend on the host's
// tables; other extensions go to mime.TypeByExtension.
var attachTypes = map[string]string{
	".wav": "audio/x-wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".gsm": "audio/x-gsm",
	".txt": "text/plain", ".pdf": "application/pdf", ".tif": "image/tiff", ".tiff": "image/tiff",
}

// composeEmail writes the message as switch_simple_email does: the
// script's headers, a blank line, the body; multipart/mixed with the
// boundary XXXX_boundary_XXXX when a file is attached (base64, 72-column
// lines, the type from its extension, audio/inline when unknown) or the
// body has its own Content-Type. Unlike the switch it adds From: and To:
// when the headers lack them (sendmail, the switch's mailer, does), and
// leaves out the ".\n" line the switch ends a multipart message with.
func composeEmail(rcpts []string, from, headers, body, file string, attach []byte) []byte {
	const bound = "XXXX_boundary_XXXX"
	var b bytes.Buffer
	multipart := file != "" || strings.Contains(strings.ToLower(body), "content-type")
	if multipart {
		fmt.Fprintf(&b, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"%s\"\n", bound)
	}
	lower := "\n" + strings.ToLower(headers)
	if !strings.Contains(lower, "\nfrom:") {
		fmt.Fprintf(&b, "From: %s\n", from)
	}
	if !strings.Contains(lower, "\nto:") {
		fmt.Fprintf(&b, "To: %s\n", strings.Join(rcpts, ", "))
	}
	b.WriteString(strings.TrimRight(headers, "\n"))
	b.WriteString("\n\n")
	if multipart {
		if strings.Contains(strings.ToLower(body), "content-type") {
			fmt.Fprintf(&b, "--%s\n", bound)
		} else {
			fmt.Fprintf(&b, "--%s\nContent-Type: text/plain\n\n", bound)
		}
	}
	b.WriteString(body)
	if file != "" {
		name := filepath.Base(file)
		typ := "audio/inline"
		if ext := strings.ToLower(filepath.Ext(name)); attachTypes[ext] != "" {
			typ = attachTypes[ext]
		} else if t := mime.TypeByExtension(ext); ext != "" && t != "" {
			typ, _, _ = strings.Cut(t, ";")
		}
		fmt.Fprintf(&b, "\n\n--%s\nContent-Type: %s; name=\"%s\"\nContent-ID: <ATTACHED@freeswitch.org>\n"+
			"Content-Transfer-Encoding: base64\nContent-Description: Sound attachment.\n"+
			"Content-Disposition: attachment; filename=\"%s\"\n\n", bound, typ, name, name)
		enc := base64.StdEncoding.EncodeToString(attach)
		for len(enc) > 72 {
			b.WriteString(enc[:72])
			b.WriteByte('\n')
			enc = enc[72:]
		}
		b.WriteString(enc)
	}
	if multipart {
		fmt.Fprintf(&b, "\n\n--%s--\n", bound)
	}
	return b.Bytes()
}

// sendSMTP hands msg to the server: STARTTLS as configured, AUTH PLAIN when
// a username is set, MAIL, RCPT for each recipient, DATA. ctx bounds it.
func sendSMTP(ctx context.Context, o EmailOptions, from string, rcpts []string, msg []byte) error {
	host, _, err := net.SplitHostPort(o.Server)
	if err != nil {
		return fmt.Errorf("smtp-server %q: %w", o.Server, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", o.Server)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // a hangup ends the wait
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	switch strings.ToLower(o.StartTLS) {
	case "", "auto", "always":
		if ok, _ := c.Extension("STARTTLS"); ok {
			cfg := o.TLSConfig
			if cfg == nil {
				cfg = &tls.Config{ServerName: host}
			}
			if err := c.StartTLS(cfg); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		} else if strings.EqualFold(o.StartTLS, "always") {
			return errors.New("the server does not offer STARTTLS (smtp-starttls is always)")
		}
	case "never":
	default:
		return fmt.Errorf("smtp-starttls %q: want auto, always or never", o.StartTLS)
	}
	if o.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", o.Username, o.Password, host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM:<%s>: %w", from, err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("RCPT TO:<%s>: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return c.Quit()
}
