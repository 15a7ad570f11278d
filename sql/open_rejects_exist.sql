-- 1 when any reject is open, else 0.
select count(*) from (select 1 from shift_reject where resolved_at is null limit 1) as open_rejects
