-- The report of a business date: the newest of a completed night, else the newest failure.
select summary from run_report where business_date = $1
order by case when outcome = 'done' then 0 else 1 end, run_report_id desc limit 1
