-- One row per sentence (unit) of every review and feedback text, under the current theme model: its own
-- sentiment and the taxonomy themes it complains about (parallel lists `themes` / `theme_scores`).
-- Rows exist for each record's current content only; a new theme model version replaces them all.
create table if not exists review_sentences (
    kind varchar not null,
    source varchar not null,
    record_id varchar not null,
    content_hash varchar not null,
    sentence_index integer not null,
    start_char integer not null,
    end_char integer not null,
    sentence varchar not null,
    language varchar,
    sentiment varchar not null check (sentiment in ('negative', 'neutral', 'positive')),
    p_negative double not null,
    p_positive double not null,
    themes varchar[] not null,
    theme_scores double[] not null,
    text_key varchar not null,
    model_version varchar not null,
    themed_night date not null,
    primary key (kind, source, record_id, content_hash, sentence_index)
);
