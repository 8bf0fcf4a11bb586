create table if not exists review_scores (
    kind varchar not null,
    source varchar not null,
    record_id varchar not null,
    content_hash varchar not null,
    model_version varchar not null,
    language varchar,
    sentiment varchar not null check (sentiment in ('negative', 'neutral', 'positive')),
    p_negative double not null,
    p_neutral double not null,
    p_positive double not null,
    stars_pred double not null check (stars_pred between 1 and 5),
    scored_night date not null,
    primary key (kind, source, record_id, content_hash, model_version)
);
