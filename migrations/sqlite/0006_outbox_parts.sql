-- What an outbox message carries besides its plain-text body (outbox.body): an HTML alternative
-- and file attachments, numbered from 1 in the order they are shown. The parts are written in
-- the transaction that queues the message, so a message is never found without them.
create table outbox_part (
    message_id text not null references outbox (message_id) on delete cascade,
    part_no integer not null check (part_no >= 1),
    role text not null check (role in ('html','attachment')),
    -- The attachment's file name as the recipient sees it; none for the HTML alternative.
    file_name text,
    content_type text not null,
    content blob not null,
    primary key (message_id, part_no),
    check ((role = 'attachment') = (file_name is not null))
);
-- At most one HTML alternative per message.
create unique index outbox_part_one_html on outbox_part (message_id) where role = 'html';
