{#-
    Every non-NULL value of the column lies within the range of its row's unit, as the seed
    indicator_units states it (min_value, max_value; an empty bound is no bound).
-#}
{% test within_unit_range(model, column_name, unit_column='unit') %}

select checked.{{ unit_column }}, checked.{{ column_name }}, units.min_value, units.max_value
from {{ model }} as checked
inner join {{ ref('indicator_units') }} as units
    on units.unit = checked.{{ unit_column }}
where checked.{{ column_name }} < units.min_value
    or checked.{{ column_name }} > units.max_value

{% endtest %}
