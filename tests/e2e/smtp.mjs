// A mail server for tests/pipeline/smtp.rs: plain SMTP on 127.0.0.1, no TLS, no AUTH, on a port
// the system picks. Prints `listening PORT` once it accepts connections, and writes every message
// whose data it received whole to MAILDIR as 1.eml, 2.eml, ... (written to a temporary name, then
// renamed), whatever it answers, so a test can count what arrived.
//
// MODE (optional):
//   (unset)          answer 250 to every message
//   drop-after-data  close the connection once the data is in, without answering: the client
//                    cannot know whether the message was taken
//   reject           answer 550 at the end of the data

import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const maildir = process.env.MAILDIR;
const mode = process.env.MODE || '';
if (!maildir) {
    console.error('MAILDIR is not set');
    process.exit(2);
}
if (!['', 'drop-after-data', 'reject'].includes(mode)) {
    console.error(`unknown MODE ${mode}`);
    process.exit(2);
}
fs.mkdirSync(maildir, { recursive: true });

let received = 0;
// The client's sockets by their port, to drop one without answering.
const sockets = new Map();

const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
        const chunks = [];
        stream.on('data', chunk => chunks.push(chunk));
        stream.on('end', () => {
            received += 1;
            const name = path.join(maildir, `${received}.eml`);
            fs.writeFileSync(`${name}.part`, Buffer.concat(chunks));
            fs.renameSync(`${name}.part`, name);
            if (mode === 'drop-after-data') {
                sockets.get(session.remotePort)?.destroy();
            } else if (mode === 'reject') {
                const error = new Error('message refused');
                error.responseCode = 550;
                callback(error);
            } else {
                callback(null, 'queued');
            }
        });
    },
});

server.server.on('connection', socket => {
    const port = socket.remotePort;
    sockets.set(port, socket);
    socket.on('close', () => sockets.delete(port));
});
server.on('error', error => console.error(`smtp server: ${error.message}`));

server.listen(0, '127.0.0.1', () => {
    console.log(`listening ${server.server.address().port}`);
});
