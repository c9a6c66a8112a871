"""Template filters of the evaluation pages' sentences."""

from django import template

from .. import words

register = template.Library()
register.filter("in_sentence", words.in_sentence)
