with texts as (
    select
        'reviews' as kind,
        source,
        review_id as record_id,
        content_hash,
        title,
        text,
        language
    from reviews
    union all
    select
        'seller_feedback' as kind,
        source,
        feedback_id as record_id,
        content_hash,
        title,
        comment as text,
        language
    from seller_feedback
    where comment is not null
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
