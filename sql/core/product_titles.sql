-- each product's title and seller as of $night, for this connection only: a product is named by its title
-- wherever any source gives one (the marts label products with it)
create or replace temp table product_titles as
with titled as (
    select product_id, max(product_title) as product_title, max(seller_id) as seller_id
    from reviews
    where first_seen <= $night
    group by product_id
)

select * from titled
