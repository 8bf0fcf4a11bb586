with texts as (
    select * from record_texts
),

scored as (
    select kind, source, record_id, content_hash
    from review_scores
    where model_version = $model_version
),

pending as (
    select texts.*
    from texts
    anti join scored using (kind, source, record_id, content_hash)
)

select * from pending
order by kind, source, record_id
