"""Scrapy commands of the project (``COMMANDS_MODULE``): each replaces Scrapy's own of the
same name and behaves the same, with the patrol's checks added."""
