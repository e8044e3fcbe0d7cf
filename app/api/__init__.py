"""The JSON API, v1: a blueprint, a typed endpoint decorator and the generated OpenAPI document."""
