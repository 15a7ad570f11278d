select status, count(*) from outbox where sent_by = $1 group by status order by status
