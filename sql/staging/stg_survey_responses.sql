with source as (
    select * from batch_survey_responses
),

typed as (
    select
        cast(response_id as varchar) as response_id,
        cast(source as varchar) as source,
        cast(channel as varchar) as channel,
        cast(nps as tinyint) as nps,
        cast(ces as tinyint) as ces,
        cast(csat as tinyint) as csat,
        cast(comment as varchar) as comment,
        cast(language as varchar) as language,
        cast(response_date as date) as response_date
    from source
),

hashed as (
    select
        *,
        -- an edit is any change to these columns
        substr(sha256(concat_ws(
            chr(31),
            coalesce(cast(channel as varchar), ''),
            coalesce(cast(nps as varchar), ''),
            coalesce(cast(ces as varchar), ''),
            coalesce(cast(csat as varchar), ''),
            coalesce(cast(comment as varchar), ''),
            coalesce(cast(response_date as varchar), '')
        )), 1, 32) as content_hash
    from typed
)

select * from hashed
