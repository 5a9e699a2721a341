from django.dispatch import Signal

# sender=Conversation, conversation=... (inside the planning transaction)
conversation_planned = Signal()
