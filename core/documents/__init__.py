"""Documents from the record: notices, minutes, forms and agreements as DOCX, PDF and HTML;
case files (卷宗) and attachments as evidence."""

from yishi.documents.kinds import BUILTIN, DocumentKind
from yishi.documents.layout import FORMATS, DocumentError
from yishi.documents.service import DocumentRef, Produced, Settings, documents_for, issue, render

__all__ = ["BUILTIN", "FORMATS", "DocumentError", "DocumentKind", "DocumentRef", "Produced", "Settings",
           "documents_for", "issue", "render"]
