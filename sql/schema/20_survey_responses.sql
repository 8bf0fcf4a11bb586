create table if not exists survey_responses (
    response_id varchar not null,
    source varchar not null,
    channel varchar,
    nps tinyint check (nps between 0 and 10),
    ces tinyint check (ces between 1 and 7),
    csat tinyint check (csat between 1 and 5),
    comment varchar,
    language varchar,
    response_date date not null,
    content_hash varchar not null,
    content_version integer not null default 1,
    needs_scoring boolean not null default true,
    first_seen date not null,
    last_seen date not null,
    ingest_run_id varchar not null,
    primary key (source, response_id),
    check (nps is not null or ces is not null or csat is not null)
);
