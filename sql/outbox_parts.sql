select role, file_name, content_type, content
from outbox_part where message_id = $1 order by part_no
