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
        -- reviewer ids and emails are only ever stored as a salted hash
        substr(sha256($salt || chr(31) || lower(trim(cast(reviewer_id as varchar)))), 1, 32) as reviewer_key,
        cast(rating as tinyint) as rating,
        cast(title as varchar) as title,
        cast(comment as varchar) as comment,
        cast(language as varchar) as language,
        cast(feedback_date as date) as feedback_date,
        cast(arrived_on_time as boolean) as arrived_on_time,
        cast(item_as_described as boolean) as item_as_described,
        cast(service_ok as boolean) as service_ok
    from source
),

hashed as (
    select
        *,
        -- an edit is any change to these columns
        substr(sha256(concat_ws(
            chr(31),
            coalesce(cast(rating as varchar), ''),
            coalesce(cast(title as varchar), ''),
            coalesce(cast(comment as varchar), ''),
            coalesce(cast(feedback_date as varchar), ''),
            coalesce(cast(arrived_on_time as varchar), ''),
            coalesce(cast(item_as_described as varchar), ''),
            coalesce(cast(service_ok as varchar), '')
        )), 1, 32) as content_hash
    from typed
)

select * from hashed
