// The Node modesl contender of fsstar's benchmark harness (tests/bench).
//
//   node handler.js <port>
//
// An outbound socket server on 127.0.0.1:<port> (0 picks a free port),
// written the way the modesl README shows it (esl.Server with myevents).
// When it listens it prints "ready 127.0.0.1:<port>" on stdout.
//
// Per call, the channel variable fsstar_app picks the flow:
//   bench.flow  answer, playback of a 0 ms tone, api uuid_setvar, getvar,
//               hangup: the same commands as our esl package sends (the same flow as the fsstar and raw Go contenders);
//   bench.park  answer, then nothing until the switch hangs the call up;
//   bench.null  hangup at once (a floor for the simulated switch).
'use strict';

const esl = require('modesl');

const port = parseInt(process.argv[2] || '0', 10);
const TONE = 'tone_stream://%(0,0,440)';

// modesl's Server listens on `opts.port || 8022`, so port 0 would mean a
// fixed 8022 (two runs at once collide); it also takes a server that
// already listens, which is how 0 gets a free port.
const listener = require('net').createServer();
listener.listen(port, '127.0.0.1', function () {
  const server = new esl.Server({ server: listener, myevents: true }, function () {
    process.stdout.write('ready 127.0.0.1:' + listener.address().port + '\n');
  });
  serve(server);
});

function hangup(conn, uuid) {
  conn.sendRecv('sendmsg ' + uuid, { 'call-command': 'hangup', 'hangup-cause': 'NORMAL_CLEARING' }, function () {});
}

// serve registers the flow's handlers on the esl.Server.
function serve(server) {
  // modesl writes a command in several small socket writes; with Nagle's
  // algorithm on, each command then waits for the peer's delayed ACK (about
  // 40 ms on Linux loopback). Turning it off is the one change to modesl's
  // README usage: without it the flow is latency-bound, not CPU-bound.
  server.on('connection::open', function (conn) {
    if (process.env.BENCH_MODESL_NAGLE !== '1') {
      conn.socket.setNoDelay(true);
    }
  });

  server.on('connection::ready', function (conn) {
    conn.on('error', function () {});
    conn.setEventLock(true);
    const info = conn.getInfo();
    const uuid = info.getHeader('Unique-ID');
    const mode = info.getHeader('variable_fsstar_app') || 'bench.flow';
    if (mode.indexOf('bench.null') === 0) {
      hangup(conn, uuid);
      return;
    }
    conn.execute('answer', '', function () {
      if (mode.indexOf('bench.park') === 0) {
        return; // parked until the switch hangs up and closes the socket
      }
      conn.execute('playback', TONE, function () {
        conn.api('uuid_setvar ' + uuid + ' bench_var fsstar', function () {
          conn.sendRecv('getvar bench_var', function (res) {
            if (res.getHeader('Reply-Text') !== 'fsstar') {
              process.stderr.write('getvar: ' + res.getHeader('Reply-Text') + '\n');
            }
            hangup(conn, uuid);
          });
        });
      });
    });
  });
}

function stop() { process.exit(0); }
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
