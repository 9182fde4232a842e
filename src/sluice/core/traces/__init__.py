"""Traces of model calls (asks, chats): what was asked, what was retrieved, what came back,
how long and how many tokens."""
