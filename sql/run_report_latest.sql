select summary from run_report where business_date = $1 order by run_report_id desc limit 1
