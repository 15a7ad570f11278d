select status, count(*) from outbox group by status order by status
