insert into quarantine (run_id, night, kind, source, file, record_no, line_no, reason_code, reason, raw_record)
with rejected as (
    select * from batch_quarantine
)
select $run_id, $night, $kind, $source, $file, record_no, line_no, reason_code, reason, raw_record
from rejected
