-- Each record's complaint themes (distinct, from its current text's sentences) next to its dimensions.
create or replace view record_themes as
with mentions as (
    select
        kind,
        source,
        record_id,
        content_hash,
        list(distinct theme order by theme) as themes
    from theme_mentions
    group by kind, source, record_id, content_hash
),

joined as (
    select
        record_dimensions.*,
        cast(date_trunc('week', record_dimensions.day) as date) as week,
        coalesce(mentions.themes, []) as themes
    from record_dimensions
    left join mentions using (kind, source, record_id, content_hash)
)

select * from joined
