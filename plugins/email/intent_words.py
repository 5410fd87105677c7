"""The words of replies to payment reminders, in English, German, French and Spanish.

Each class has its patterns (compiled case-insensitive); :mod:`plugins.email.intent`
tries them in order of what is costly to miss: a stop, then a dispute.
``NEGATED`` catches "no dispute", "we are not disputing", "kein Widerspruch",
"nous ne contestons pas", "no hay ninguna disputa".
"""

from __future__ import annotations

import re

_I = re.IGNORECASE


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), _I)


# Where the customer's own words end: a quoted message's header, a separator.
QUOTE_START = re.compile(
    r"(?im)^(?:"
    r"on .{0,120}\bwrote:\s*$|am .{0,120}\bschrieb .{0,80}$|am .{0,120}\bschrieb:?\s*$|"
    r"le .{0,120}\ba écrit\s*:\s*$|el .{0,160}\bescribió:\s*$|"
    r"-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original)\s*-{2,}|_{10,}\s*$|"
    r"(?:from|von|de|da)\s*:.*\n(?:sent|gesendet|envoyé|enviado|date|datum|fecha)\s*:"
    r")")
SIGNATURE = re.compile(r"(?m)^-- ?$")

STOP = _any(
    r"\bcease\s+and\s+desist\b", r"\bcease\s+(?:all\s+)?(?:contact|communication)",
    r"\bstop\s+(?:contacting|e-?mailing|emailing|calling|writing(?:\s+to)?|sending\s+(?:me|us))",
    r"\b(?:do\s+not|don'?t|never)\s+(?:contact|e-?mail|email|call|write\s+to)\s+(?:me|us)\b"
    r"(?:\s+(?:again|any\s*more))?",
    r"\bdo\s+not\s+contact\s+(?:our|my)\s+(?:staff|company|office)",
    r"\bremove\s+(?:me|us|my\s+address|our\s+address)\s+from\s+(?:your|the)\s+"
    r"(?:mailing\s+)?list", r"\bunsubscribe\b", r"\bopt\s+(?:me\s+|us\s+)?out\b",
    r"\btake\s+(?:me|us)\s+off\s+your\s+list",
    # de
    r"kontaktaufnahme\w*\s+(?:\S+\s+){0,4}zu\s+unterlassen", r"\bunterlassen\s+sie\b",
    r"\bkeine\s+weiteren\s+(?:kontaktaufnahmen|e-?mails|nachrichten|anrufe|schreiben)\b",
    r"\b(?:kontaktieren|schreiben)\s+sie\s+(?:mich|uns)\s+nicht\s+mehr\b",
    r"\bnicht\s+mehr\s+(?:zu\s+)?(?:kontaktieren|anschreiben)\b",
    r"\bschreiben\s+sie\s+uns\s+nicht\s+mehr\s+an\b",
    r"\bvon\s+weiteren\s+kontaktaufnahmen\s+abzusehen\b",
    r"\b(?:entfernen|löschen)\s+sie\s+meine\s+adresse\b", r"\babmelden\b",
    # fr
    r"\bcess(?:er|ez)\s+(?:tout\s+contact|de\s+(?:nous|me)\s+(?:contacter|relancer|écrire))",
    r"\bne\s+(?:plus\s+)?(?:nous|me)\s+(?:contactez|contacter|écrivez|relancez)\s+plus\b",
    r"\bne\s+plus\s+(?:nous|me)\s+(?:contacter|écrire|relancer)\b",
    r"\bne\s+souhaitons\s+plus\s+être\s+contactés?\b", r"\bdésinscri(?:re|vez)\b",
    # es
    r"\bces(?:en|e)\s+(?:todo|cualquier)\s+(?:contacto|comunicación)",
    r"\bcese\s+y\s+desista\b", r"\bdejen?\s+de\s+(?:contactar|escribir|enviar)",
    r"\bno\s+(?:me|nos)\s+(?:contacten|contacte|escriban|escriba)\s+más\b",
    r"\bno\s+vuelvan?\s+a\s+(?:contactar|escribir)", r"\b(?:den|denme|darme|dar)\s+de\s+baja\b",
)
"""A request to stop all contact. The costly one to miss, so matched first and broadly."""

DISPUTE = _any(
    r"\bdisput(?:e|es|ed|ing)\b", r"\bcontest(?:ing|ed)?\b", r"\bwe\s+object\b",
    r"\b(?:is|are|was)\s+(?:wrong|incorrect)\b", r"\b(?:wrong|incorrect)\s+(?:amount|price|"
    r"invoice|charge|quantity)", r"\bbilling\s+error\b", r"\bcharged\s+(?:us\s+)?twice\b",
    r"\bovercharged\b", r"\bnever\s+(?:received|ordered|delivered)\b",
    r"\b(?:do\s+not|don'?t)\s+owe\b", r"\bwon'?t\s+pay\b", r"\bwill\s+not\s+pay\b",
    r"\brefuse\s+to\s+pay\b", r"\bcan'?t\s+accept\b", r"\bcannot\s+accept\b",
    r"\bnot\s+(?:agreed|authori[sz]ed)\b", r"\bwere\s+never\s+agreed\b",
    # de
    r"\bwiderspr(?:echen|uch)\b", r"\bbestreiten\b", r"\bbeanstand\w*", r"\breklam\w+",
    r"\bnicht\s+einverstanden\b", r"\bnie\s+(?:bestellt|erhalten|geliefert)\b",
    r"\bnicht\s+(?:bestellt|erhalten|geliefert|erbracht)\b", r"\bfalsch\s+berechnet\b",
    r"\b(?:ist|sind|war)\s+falsch\b", r"\bdoppelt\s+berechnet\b",
    r"\berkennen\s+(?:\S+\s+){0,3}nicht\s+an\b",
    # fr
    r"\bcontest(?:ons|er|é|ée|e)\b", r"\blitige\b", r"\bdésaccord\b", r"\bpas\s+d'accord\b",
    r"\berreur\s+de\s+facturation\b", r"\bfacturé\s+deux\s+fois\b",
    r"\bjamais\s+reçu\b", r"\bnon\s+conforme\b", r"\brefusons\s+de\s+payer\b",
    r"\bréclamation\b",
    # es
    r"\bdisput(?:a|amos|ar)\b", r"\bimpugn\w+", r"\bno\s+estamos\s+de\s+acuerdo\b",
    r"\bno\s+aceptamos\b", r"\breclamación\b", r"\berror\s+en\s+la\s+factura\b",
    r"\bnunca\s+(?:recibimos|hemos\s+recibido|pedimos)\b", r"\bcobrado\s+dos\s+veces\b",
    r"\brechaz(?:amos|ar)\b", r"\bno\s+pagaremos\b", r"\bdisconformidad\b",
)
"""The customer contests an invoice."""

NEGATED = _any(
    r"\bno\s+dispute\b", r"\bnot\s+disputing\b", r"\b(?:do\s+not|don'?t)\s+dispute\b",
    r"\bnothing\s+to\s+dispute\b", r"\bnot\s+contesting\b", r"\bnot\s+a\s+dispute\b",
    r"\bkein(?:en)?\s+widerspruch\b", r"\bbestreiten\s+(?:\S+\s+)?nicht\b",
    r"\bne\s+contestons\s+pas\b", r"\bpas\s+de\s+litige\b", r"\bne\s+conteste\s+pas\b",
    r"\bno\s+(?:hay\s+(?:ninguna\s+)?)?disputa\b", r"\bno\s+disputamos\b", r"\bsin\s+disputa\b",
)
"""A dispute word said in the negative: the sentence is not a dispute."""

PAID = _any(
    r"\b(?:we|i)\s+(?:have\s+)?(?:paid|sent|wired|transferred|remitted)\b",
    r"\b(?:was|has\s+been|have\s+been|were)\s+(?:already\s+)?(?:paid|settled|sent|wired|"
    r"transferred)\b", r"\bpaid\s+(?:yesterday|today|on|by)\b", r"\bremittance\b",
    r"\bpayment\s+(?:advice|sent|made|was\s+made|has\s+been\s+made)\b", r"^\s*paid\b",
    r"\bpayment\s+of\s+\S+\s+(?:was\s+)?made\b", r"\bproof\s+of\s+payment\b",
    # de
    r"\b(?:haben|hatten)\s+(?:wir\s+)?(?:\S+\s+){0,6}(?:überwiesen|bezahlt|beglichen|gezahlt)",
    r"\bwurde\s+(?:bereits\s+)?(?:\S+\s+){0,4}(?:bezahlt|überwiesen|beglichen)",
    r"\bzahlungsavis\b", r"\bzahlungsnachweis\b", r"\brausgegangen\b",
    # fr
    r"\bavons\s+(?:effectué|réglé|payé|viré)\b", r"\ba\s+été\s+(?:réglée?|payée?|virée?)\b",
    r"\bavis\s+de\s+(?:paiement|virement)\b", r"\bpreuve\s+de\s+virement\b",
    r"\bpayés?\s+aujourd'hui\b",
    # es
    r"\bhemos\s+(?:realizado|pagado|transferido|abonado)\b",
    r"\b(?:ha|fue)\s+(?:sido\s+)?pagada\b", r"\bya\s+fue\s+pagada\b", r"\baviso\s+de\s+pago\b",
    r"\bjustificante\b", r"\bpago\s+realizado\b",
)
"""The customer says the money went (past tense): a remittance."""

PROMISE = _any(
    r"\b(?:we|i)\s*(?:will|'ll|shall)\s+(?:\S+\s+){0,2}(?:pay|settle|transfer|send|remit|wire)",
    r"\bwill\s+be\s+(?:paid|settled|sent|transferred|wired|made)\b",
    r"\bscheduled\s+for\s+(?:our\s+)?(?:next\s+)?payment", r"\bnext\s+payment\s+run\b",
    r"\bpayment\s+will\s+(?:be\s+)?(?:made|sent|issued|go)", r"\bexpect\s+to\s+pay\b",
    r"\bpromise\s+to\s+pay\b", r"\bpaying\s+late\b",
    # de
    r"\bwerden\s+(?:\S+\s+){0,6}(?:überweisen|bezahlen|begleichen|zahlen)\b",
    r"\bzahlung\s+(?:\S+\s+){0,4}erfolgt\b", r"\bwird\s+(?:\S+\s+){0,4}(?:überwiesen|bezahlt)",
    r"\bbegleichen\s+(?:\S+\s+){0,6}am\b", r"\b(?:wir\s+)?überweisen\s+(?:\S+\s+){0,6}am\b",
    r"\bzahlen\s+wir\b",
    # fr
    r"\b(?:allons|allez)\s+(?:régler|payer|virer)\b", r"\bréglerons\b", r"\bpaierons\b",
    r"\bprocéderons\s+au\s+(?:paiement|règlement|virement)\b",
    r"\bsera\s+(?:effectué|réglée?|payée?|viré)\b", r"\bpartira\s+le\b",
    # es
    r"\bpagaremos\b", r"\bvamos\s+a\s+pagar\b", r"\bse\s+(?:pagará|realizará)\b",
    r"\brealizaremos\s+(?:el\s+pago|la\s+transferencia)\b",
    r"\bharemos\s+(?:el\s+pago|la\s+transferencia)\b",
)
"""The customer says when the money will go (future tense): a promise to pay."""

AWAY = _any(
    r"\bout\s+of\s+(?:the\s+)?office\b", r"\bon\s+(?:vacation|holiday|leave)\b",
    r"\baway\s+from\s+(?:my\s+)?desk\b", r"\bwill\s+return\s+on\b", r"\bback\s+on\b",
    r"\bnicht\s+im\s+büro\b", r"\babwesend\b", r"\bim\s+urlaub\b", r"\bwieder\s+erreichbar\b",
    r"\bwieder\s+im\s+büro\b",
    r"\bje\s+suis\s+(?:actuellement\s+)?absente?\b", r"\ben\s+congés?\b",
    r"\bde\s+retour\s+le\b",
    r"\bfuera\s+de\s+la\s+oficina\b", r"\bde\s+vacaciones\b", r"\bvolveré\b",
)
"""Words of an absence notice."""

AUTO_SUBJECT = re.compile(
    r"(?i)^\s*(?:automatic\s+reply|auto(?:matic)?[-\s]?reply|autoreply|out\s+of\s+(?:the\s+)?"
    r"office|abwesenheit\w*|automatische\s+antwort|réponse\s+automatique|absente?\b|"
    r"absent\s+du\s+bureau|respuesta\s+automática|fuera\s+de\s+la\s+oficina)")
BOUNCE_SUBJECT = re.compile(
    r"(?i)(?:undeliver|returned\s+to\s+sender|delivery\s+status\s+notification\s+\(failure|"
    r"delivery\s+(?:has\s+)?fail|mail\s+delivery\s+failed|unzustellbar|nicht\s+zustellbar|"
    r"non\s+remis|échec\s+de\s+(?:la\s+)?remise|echec\s+de\s+(?:la\s+)?remise|"
    r"no\s+entregado|estado\s+de\s+entrega\s+\(error)")
BOUNCER = re.compile(r"(?i)^(?:mailer-daemon|postmaster|mail-daemon)@")

QUESTION = _any(
    r"\?", r"\b(?:could|can|would)\s+you\b", r"\bplease\s+(?:send|confirm|advise|explain)\b",
    r"\bkönnen\s+sie\b", r"\bkönnten\s+sie\b", r"\bwäre\s+es\s+möglich\b",
    r"\bpourriez-vous\b", r"\bpouvez-vous\b", r"\best-il\s+possible\b",
    r"\bpodrían\b", r"\bpueden\b",
)
"""A question for a person."""

LANGUAGE_WORDS: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"(?i)\b(?:the|and|we|you|is|of|please|invoice|will|our|for)\b"),
    "de": re.compile(r"(?i)\b(?:die|der|und|wir|sie|ist|nicht|bitte|rechnung|mit|für)\b"),
    "fr": re.compile(r"(?i)\b(?:le|la|les|et|nous|vous|est|pas|facture|pour|merci)\b"),
    "es": re.compile(r"(?i)\b(?:el|la|los|las|y|hemos|usted|es|factura|por|para|gracias)\b"),
}
