with source as (
    select * from batch_seller_feedback
),

typed as (
    select
        cast(feedback_id as varchar) as feedback_id,
        cast(source as varchar) as source,
        cast(channel as varchar) as channel,
        cast(seller_id as varchar) as seller_id,
        cast(order_id as varchar) as order_id,
        cast(reviewer_key as varchar) as reviewer_key,
        cast(rating as tinyint) as rating,
        cast(title as varchar) as title,
        cast(comment as varchar) as comment,
        cast(language as varchar) as language,
        cast(feedback_date as date) as feedback_date,
        cast(arrived_on_time as boolean) as arrived_on_time,
        cast(item_as_described as boolean) as item_as_described,
        cast(service_ok as boolean) as service_ok,
        cast(content_hash as varchar) as content_hash
    from source
)

select * from typed
