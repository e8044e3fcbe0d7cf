"""Visit documentation: one note per appointment (draft, signed, addenda, withheld from the patient under
the harm exception) and the clinician's private psychotherapy notes, kept apart from the record."""
