create table if not exists quarantine (
    run_id varchar not null,
    night date not null,
    kind varchar not null,
    source varchar not null,
    file varchar not null,
    record_no integer not null,
    line_no integer,
    reason_code varchar not null,
    reason varchar not null,
    raw_record varchar not null,
    primary key (run_id, record_no)
);
