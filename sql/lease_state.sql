select holder, token, expires_at, holder_host, holder_boot_id, holder_pid_namespace, holder_pid
from run_lease where name = $1
