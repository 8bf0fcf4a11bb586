-- Each record once per slice reports cut by: overall, and its seller, category, channel and product where
-- it has them (the theme marts count, compare and rank within a slice).
create or replace view record_slices as
with slices as (
    select 'overall' as dimension, 'all' as dimension_value, * from record_themes
    union all
    select 'seller', seller_id, * from record_themes where seller_id is not null
    union all
    select 'category', category, * from record_themes where category is not null
    union all
    select 'channel', channel, * from record_themes
    union all
    select 'product', product_id, * from record_themes where product_id is not null
)

select * from slices
