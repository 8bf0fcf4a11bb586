-- Records whose current text has no sentences under the theme model version $model_version: new and
-- edited texts, and every text when the taxonomy or the theme model changed (themes re-applied to history).
with texts as (
    select * from record_texts
),

themed as (
    select distinct kind, source, record_id, content_hash
    from review_sentences
    where model_version = $model_version
),

pending as (
    select texts.*
    from texts
    anti join themed using (kind, source, record_id, content_hash)
)

select * from pending
order by kind, source, record_id
