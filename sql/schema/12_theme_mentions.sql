-- Theme mentions: one row per (sentence, theme) the sentence complains about, with its sentiment and score.
create or replace view theme_mentions as
with mentions as (
    select
        kind,
        source,
        record_id,
        content_hash,
        sentence_index,
        sentence,
        language,
        unnest(themes) as theme,
        unnest(theme_scores) as score,
        sentiment,
        p_negative,
        model_version,
        themed_night
    from review_sentences
    where len(themes) > 0
)

select * from mentions
