-- fake_probability per review or seller feedback, with history: a row is added when a record's score
-- or reasons change (a burst forming around an older review); the report reads the latest as of its night
create table if not exists fake_scores (
    kind varchar not null,
    source varchar not null,
    record_id varchar not null,
    content_hash varchar not null,
    scored_night date not null,
    fake_probability double not null check (fake_probability between 0 and 1),
    suspicious boolean not null,
    fake_reasons varchar not null,
    signals varchar not null,
    signals_version varchar not null,
    primary key (kind, source, record_id, scored_night)
)
