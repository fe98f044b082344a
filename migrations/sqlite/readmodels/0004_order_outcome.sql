-- What a closed order holds (hub/readmodels): a rejected order says why
-- and costs nothing; an expired one no longer lists the seats it released
-- as reserved. The rows already projected are brought to the same shape
-- here (a rebuild gives the same, and also fills in the reasons of orders
-- rejected before this column existed).

ALTER TABLE rm_orders ADD COLUMN reason TEXT NOT NULL DEFAULT '';

UPDATE rm_orders SET reserved = 'null' WHERE status IN ('expired', 'rejected');

UPDATE rm_orders SET total_amount = 0, discount_amount = 0, promo_code = '',
    quote = json_object('lines', json('null'),
        'subtotal', json_object('amount', 0, 'currency', currency),
        'discount', json_object('amount', 0, 'currency', currency),
        'total', json_object('amount', 0, 'currency', currency))
WHERE status = 'rejected';
