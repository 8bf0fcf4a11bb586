insert into ingest_runs (
    run_id, night, kind, source, file, checksum, rows_read, rows_loaded, rows_new, rows_changed,
    rows_unchanged, rows_quarantined, status, error, validation_summary, attempts, started_at, finished_at,
    duration_s
) values (
    $run_id, $night, $kind, $source, $file, $checksum, $rows_read, $rows_loaded, $rows_new, $rows_changed,
    $rows_unchanged, $rows_quarantined, $status, $error, $validation_summary, 1, $started_at, $finished_at,
    $duration_s
)
on conflict (run_id) do update set
    night = excluded.night,
    file = excluded.file,
    rows_read = excluded.rows_read,
    rows_loaded = excluded.rows_loaded,
    rows_new = excluded.rows_new,
    rows_changed = excluded.rows_changed,
    rows_unchanged = excluded.rows_unchanged,
    rows_quarantined = excluded.rows_quarantined,
    status = excluded.status,
    error = excluded.error,
    validation_summary = excluded.validation_summary,
    attempts = ingest_runs.attempts + 1,
    started_at = excluded.started_at,
    finished_at = excluded.finished_at,
    duration_s = excluded.duration_s
