{#- Every row's combination of `columns` (none of them NULL) exists in the model `to`. -#}
{% test relationships_on(model, to, columns) %}

select {{ columns | join(', ') }}
from {{ model }} as child
where {% for column in columns %}child.{{ column }} is not null{{ ' and ' if not loop.last }}{% endfor %}
    and not exists (
        select 1
        from {{ to }} as parent
        where {% for column in columns %}parent.{{ column }} = child.{{ column }}{{ ' and ' if not loop.last }}{% endfor %}
    )

{% endtest %}
