-- mart_keywords: the keyword phrases of one night, computed in python (pipeline/keywords) and
-- registered as keyword_rows; replaced as a whole, so rebuilding a night gives the same table
create or replace table mart_keywords as
with source as (
    select * from keyword_rows
)

select * from source
order by scope, scope_id, language, rank
