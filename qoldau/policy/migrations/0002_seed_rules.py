"""Seed every number of the Rules (R33): the 2016 Rules as amended in 2022 and 2023, and, for
history, the 2013 values. Titles and notes are our own words; they cite the paragraphs.

Dates:
- 2013 Rules (Order No. 487): in force 2013-11-06 (ten days after publication on 2013-10-26)
  until 2016-02-29;
- 2016 Rules (Order No. 83): in force 2016-03-01. The texts we hold are the consolidated ones
  (amended 04.10.2022 No. 368/НҚ and 28.07.2023 No. 292/НҚ); where they give no older value,
  the row starts on 2016-03-01;
- p.20 Kazakh text (five working days): Order No. 292/НҚ of 28.07.2023, registered 31.07.2023,
  in force ten calendar days after its first publication: 2023-08-12 is the earliest possible
  date and is used until the publication date is checked (docs/adr/0002-rules-p20-discrepancy.md).
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

R2016 = dt.date(2016, 3, 1)
R2013 = dt.date(2013, 11, 6)
R2013_END = dt.date(2016, 2, 29)
KK_2023 = dt.date(2023, 8, 12)

T_ANSWER = (
    "Желідегі жауапты күтудің орташа уақыты",
    "Среднее время ожидания ответа на линии",
    "Average waiting time for an answer on the line",
)
T_RATING = (
    "Консультацияны бағалау шкаласы",
    "Шкала оценки консультации",
    "Rating scale of a consultation",
)
T_RECORDING = (
    "Сұрау салу бойынша сөйлесу жазбасын беру",
    "Предоставление записи разговора по запросу",
    "Providing a call recording on request",
)
T_HANDOVER = (
    "Жауапты тұлғаны тағайындау және қызмет туралы ақпаратты жіберу (1-қосымша)",
    "Назначение ответственного лица и направление сведений об услуге (приложение 1)",
    "Appointing a responsible person and sending the service information (Annex 1)",
)


def rule(code, value, unit, p2016, p2013, title, note, *, variant="", start=R2016, end=None,
         rules="2016"):
    return {
        "code": code,
        "value": Decimal(value),
        "unit": unit,
        "rules": rules,
        "paragraph_2016": p2016,
        "paragraph_2013": p2013,
        "text_variant": variant,
        "valid_from": start,
        "valid_to": end,
        "title_kk": title[0],
        "title_ru": title[1],
        "title_en": title[2],
        "note_kk": note[0],
        "note_ru": note[1],
        "note_en": note[2],
    }


RULES = [
    # --- 2013 Rules (history) ------------------------------------------------------------
    rule("answer_time_avg", 40, "seconds", "p.7", "2013 p.7", T_ANSWER, (
        "2013 жылғы Қағидалар бойынша желіде жауап күтудің орташа уақыты қоңырау түскен сәттен "
        "бастап 40 секундтан аспауы тиіс болды (2013 ж. Қағидалардың 7-тармағы). 2016 жылғы "
        "1 наурыздан бастап — 30 секунд (Қағидалардың 7-тармағы).",
        "По Правилам 2013 года среднее время ожидания ответа на линии не должно было превышать "
        "40 секунд с момента поступления звонка (п. 7 Правил 2013 г.). С 1 марта 2016 года — "
        "30 секунд (п. 7 Правил).",
        "Under the 2013 Rules the average waiting time for an answer was not to exceed 40 "
        "seconds from the moment the call arrived (2013 p.7). From 1 March 2016 it is 30 "
        "seconds (Rules p.7).",
    ), start=R2013, end=R2013_END, rules="2013"),
    rule("rating_scale", 5, "scale", "p.13", "2013 p.17", T_RATING, (
        "2013 жылғы Қағидалар бойынша да консультанттың жұмысы сөйлесуден кейін бірден бес "
        "балдық шкала бойынша бағаланды (2013 ж. Қағидалардың 17-тармағы).",
        "По Правилам 2013 года работа консультанта также оценивалась сразу после разговора по "
        "пятибалльной шкале (п. 17 Правил 2013 г.).",
        "Under the 2013 Rules the consultant's work was also rated right after the "
        "conversation on a five-point scale (2013 p.17).",
    ), start=R2013, end=R2013_END, rules="2013"),
    rule("recording_delivery", 4, "hours", "p.14", "2013 p.18", T_RECORDING, (
        "2013 жылғы Қағидалар бойынша да сөйлесу жазбасы уәкілетті органның жазбаша талабы "
        "алынғаннан кейін төрт сағаттан кешіктірілмей берілді (2013 ж. Қағидалардың "
        "18-тармағы).",
        "По Правилам 2013 года запись разговора также предоставлялась не позднее четырёх часов "
        "после получения письменного требования уполномоченного органа (п. 18 Правил 2013 г.).",
        "Under the 2013 Rules the recording was also due no later than four hours after the "
        "authorized body's written demand arrived (2013 p.18).",
    ), start=R2013, end=R2013_END, rules="2013"),
    # --- 2016 Rules ------------------------------------------------------------------------
    rule("answer_time_avg", 30, "seconds", "p.7", "2013 p.7", T_ANSWER, (
        "Қоңырау түскен сәттен бастап оператор жауап бергенге дейінгі орташа күту уақытының "
        "нысаналы мәні (Қағидалардың 7-тармағы). 2013 жылғы Қағидалар бойынша ол 40 секундтан "
        "аспауы тиіс еді (2013 ж. Қағидалардың 7-тармағы).",
        "Целевое среднее время ожидания ответа оператора с момента поступления звонка (п. 7 "
        "Правил). По Правилам 2013 года оно не должно было превышать 40 секунд (п. 7 Правил "
        "2013 г.).",
        "Target for the average time a caller waits for an answer, counted from the moment the "
        "call arrives (Rules p.7). The 2013 Rules allowed up to 40 seconds (2013 p.7).",
    )),
    rule("email_reply", 2, "working_days", "p.8", "", (
        "Электрондық пошта арқылы келген өтінішке жауап беру",
        "Ответ на обращение по электронной почте",
        "Reply to an e-mail appeal",
    ), (
        "Электрондық поштаға келген өтініш автоматты түрде тіркеледі, ал жауап екі жұмыс күні "
        "ішінде беріледі: мерзім өтініш келген күннен кейінгі екінші жұмыс күнінің соңында "
        "аяқталады (Қағидалардың 8-тармағы).",
        "Обращение, поступившее по электронной почте, регистрируется автоматически, ответ "
        "даётся в течение двух рабочих дней: срок истекает в конце второго рабочего дня после "
        "дня поступления (п. 8 Правил).",
        "An appeal received by e-mail is registered automatically and answered within two "
        "working days: the term ends with the second working day after the day it arrived "
        "(Rules p.8).",
    )),
    rule("rating_scale", 5, "scale", "p.13", "2013 p.17", T_RATING, (
        "Сөйлесу аяқталған бойда жүйе қоңырау шалушыға оператордың жұмысын бес балдық шкала "
        "бойынша бағалауды ұсынады (Қағидалардың 13-тармағы; 2013 ж. Қағидалардың 17-тармағы).",
        "Сразу после окончания разговора система предлагает позвонившему оценить работу "
        "оператора по пятибалльной шкале (п. 13 Правил; п. 17 Правил 2013 г.).",
        "Right after the conversation the system offers the caller to rate the operator's work "
        "on a five-point scale (Rules p.13; 2013 p.17).",
    )),
    rule("recording_delivery", 4, "hours", "p.14", "2013 p.18", T_RECORDING, (
        "Уәкілетті органның жазбаша талабы бойынша (онда күні мен көрсетілетін қызметті "
        "алушының телефон нөмірі көрсетіледі) сөйлесу жазбасы сұрау салу алынғаннан кейін төрт "
        "сағаттан кешіктірілмей беріледі; мерзім сағатпен, демалыс күндерін қоса есептеледі "
        "(Қағидалардың 14-тармағы; 2013 ж. Қағидалардың 18-тармағы).",
        "По письменному требованию уполномоченного органа с указанием даты и номера телефона "
        "услугополучателя запись разговора предоставляется не позднее четырёх часов после "
        "получения запроса; срок считается по часам, включая выходные (п. 14 Правил; п. 18 "
        "Правил 2013 г.).",
        "On a written demand of an authorized body naming the date and the caller's phone "
        "number, the recording is provided no later than four hours after the request arrives; "
        "the term runs on the clock, weekends included (Rules p.14; 2013 p.18).",
    )),
    rule("handover_info", 3, "working_days", "p.20", "", T_HANDOVER, (
        "Мемлекеттік қызмет көрсету тәртібін айқындайтын заңға тәуелді акт бекітілгеннен кейін "
        "орталық мемлекеттік орган жауапты тұлғаны тағайындап, 1-қосымшадағы нысан бойынша "
        "ақпаратты Бірыңғай байланыс орталығына жібереді (Қағидалардың 20-тармағы). 2023 "
        "жылғы қазақ тіліндегі жаңа редакцияға дейінгі күндер үшін орыс мәтініндегі үш жұмыс "
        "күні қолданылады: бұрынғы қазақ мәтіні біздің дереккөздерде жоқ.",
        "После утверждения подзаконного акта о порядке оказания госуслуги центральный "
        "государственный орган назначает ответственное лицо и направляет в Единый контакт-центр "
        "сведения по форме приложения 1 (п. 20 Правил). Для дат до редакции на казахском языке "
        "2023 года применяется срок русского текста — три рабочих дня: прежний казахский текст "
        "в наших источниках отсутствует.",
        "After a by-law setting a public service's procedure is approved, the central state "
        "body appoints a responsible person and sends the Annex 1 information to the contact "
        "center (Rules p.20). For dates before the Kazakh restatement of 2023 the Russian "
        "text's three working days apply: the earlier Kazakh wording is not among our sources.",
    ), end=KK_2023 - dt.timedelta(days=1)),
    rule("handover_info", 3, "working_days", "p.20", "", T_HANDOVER, (
        "Орыс және ағылшын мәтіндері бойынша: заңға тәуелді акт бекітілгеннен кейін үш жұмыс "
        "күні ішінде жауапты тұлға тағайындалып, 1-қосымшадағы ақпарат жіберіледі "
        "(Қағидалардың 20-тармағы). 2023 жылғы қазақ мәтінінде — бес күн; қайсысы "
        "қолданылатынын QOLDAU_P20_TEXT баптауы анықтайды.",
        "По русскому и английскому текстам: ответственное лицо назначается и сведения по "
        "приложению 1 направляются в течение трёх рабочих дней после утверждения подзаконного "
        "акта (п. 20 Правил). В казахском тексте 2023 года — пять дней; какой срок применять, "
        "определяет настройка QOLDAU_P20_TEXT.",
        "Russian and English texts: the responsible person is appointed and the Annex 1 "
        "information sent within three working days after the by-law is approved (Rules "
        "p.20). The Kazakh text of 2023 says five; the QOLDAU_P20_TEXT setting chooses.",
    ), variant="ru", start=KK_2023),
    rule("handover_info", 5, "working_days", "p.20", "", T_HANDOVER, (
        "2023 жылғы 28 шілдедегі № 292/НҚ бұйрықпен жаңа редакцияда жазылған қазақ мәтіні "
        "бойынша: заңға тәуелді акт бекітілгеннен кейін бес жұмыс күні ішінде жауапты тұлға "
        "тағайындалып, 1-қосымшадағы ақпарат жіберіледі (Қағидалардың 20-тармағы). Орыс "
        "мәтінінде — үш күн; әдепкі бойынша осы мән қолданылады (docs/adr/0002).",
        "По казахскому тексту в редакции приказа № 292/НҚ от 28.07.2023: ответственное лицо "
        "назначается и сведения по приложению 1 направляются в течение пяти рабочих дней после "
        "утверждения подзаконного акта (п. 20 Правил). В русском тексте — три дня; по умолчанию "
        "применяется это значение (docs/adr/0002).",
        "Kazakh text as restated by Order No. 292/НҚ of 28.07.2023: the responsible person is "
        "appointed and the Annex 1 information sent within five working days after the by-law "
        "is approved (Rules p.20). The Russian text says three; this value applies by default "
        "(docs/adr/0002).",
    ), variant="kk", start=KK_2023),
    rule("handover_training", 10, "working_days", "p.21", "", (
        "Бірыңғай байланыс орталығының жауапты қызметкерін оқыту",
        "Обучение ответственного сотрудника Единого контакт-центра",
        "Training of the contact center's responsible employee",
    ), (
        "1-қосымшадағы ақпарат жіберілгеннен кейін он жұмыс күнінен кешіктірмей жауапты тұлға "
        "Бірыңғай байланыс орталығының жауапты қызметкерін оқытады немесе оны көрсетілетін "
        "қызметті берушінің оқытуын қамтамасыз етеді (Қағидалардың 21-тармағы).",
        "Не позднее десяти рабочих дней после направления сведений по приложению 1 "
        "ответственное лицо проводит обучение ответственного сотрудника Единого контакт-центра "
        "или обеспечивает его проведение услугодателем (п. 21 Правил).",
        "No later than ten working days after the Annex 1 information is sent, the responsible "
        "person trains the contact center's responsible employee or has the service provider "
        "do it (Rules p.21).",
    )),
    rule("consultation_start", 5, "working_days", "p.23", "", (
        "Хаттамаға қол қойылғаннан кейін консультация беруді бастау",
        "Начало консультирования после подписания протокола",
        "Start of consultations after the acceptance protocol",
    ), (
        "Бірыңғай байланыс орталығы қызметті қабылдау хаттамасына қол қойылған күннен бастап "
        "бес жұмыс күні өткен соң ол бойынша ақпарат бере бастайды (Қағидалардың 23-тармағы); "
        "есептелген мерзім — бесінші жұмыс күнінің соңы, консультация одан кейін басталады.",
        "Единый контакт-центр начинает информировать по услуге по истечении пяти рабочих дней "
        "со дня подписания протокола о её приёме (п. 23 Правил); вычисленный срок — конец "
        "пятого рабочего дня, консультирование начинается после него.",
        "The contact center starts informing callers about a service once five working days "
        "have passed since the acceptance protocol was signed (Rules p.23); the computed term "
        "is the end of the fifth working day, and consultations start after it.",
    )),
    rule("bylaw_change_update", 5, "working_days", "p.26", "", (
        "Заңға тәуелді акт өзгергеннен кейін ақпаратты жаңарту",
        "Актуализация сведений после изменения подзаконного акта",
        "Updating the information after a by-law changes",
    ), (
        "Мемлекеттік қызмет көрсету тәртібін айқындайтын заңға тәуелді актіге өзгерістер мен "
        "толықтырулар енгізілгенде орталық мемлекеттік органның жауапты тұлғасы берілген "
        "ақпаратты бес жұмыс күні ішінде жаңартып, Бірыңғай байланыс орталығына жібереді "
        "(Қағидалардың 26-тармағы).",
        "При внесении изменений и дополнений в подзаконный акт о порядке оказания госуслуги "
        "ответственное лицо центрального государственного органа в течение пяти рабочих дней "
        "актуализирует представленные сведения и направляет их в Единый контакт-центр (п. 26 "
        "Правил).",
        "When the by-law setting a service's procedure is amended, the central state body's "
        "responsible person updates the information given and sends it to the contact center "
        "within five working days (Rules p.26).",
    )),
    rule("responsible_replacement", 5, "working_days", "p.27", "", (
        "Жауапты тұлғаның ауысқаны туралы хабарлама",
        "Уведомление о замене ответственного лица",
        "Notice of a new responsible person",
    ), (
        "Жауапты тұлға ауысқанда орталық мемлекеттік орган мен көрсетілетін қызметті берушілер "
        "бес жұмыс күні ішінде Бірыңғай байланыс орталығына еркін нысанда хабарлама жіберіп, "
        "жаңа жауапты тұлға туралы мәліметтерді ұсынады (Қағидалардың 27-тармағы).",
        "При замене ответственного лица центральный государственный орган и услугодатели в "
        "течение пяти рабочих дней направляют в Единый контакт-центр уведомление в произвольной "
        "форме и сведения о новом ответственном лице (п. 27 Правил).",
        "When a responsible person is replaced, the central state body and the service "
        "providers send the contact center a notice in any form with the new person's details "
        "within five working days (Rules p.27).",
    )),
    rule("refusal_report", 3, "working_days", "p.28", "", (
        "Көрсетілетін қызметті берушінің қайта бас тартуы туралы хабарлау",
        "Сообщение о повторном отказе услугодателя",
        "Reporting a provider's repeated refusal",
    ), (
        "Көрсетілетін қызметті беруші бір ай ішінде қажетті ақпаратты беруден қайта бас тартса, "
        "Бірыңғай байланыс орталығы үш жұмыс күні ішінде растайтын құжаттарды қоса беріп, "
        "мемлекеттік қызметтер сапасын бағалау және бақылау жөніндегі уәкілетті органға "
        "хабарлайды (Қағидалардың 28-тармағы).",
        "При повторном в течение месяца отказе услугодателя представить необходимую информацию "
        "Единый контакт-центр в течение трёх рабочих дней сообщает об этом уполномоченному "
        "органу по оценке и контролю за качеством госуслуг с приложением подтверждающих "
        "документов (п. 28 Правил).",
        "When a provider refuses the needed information again within a month, the contact "
        "center informs the authorized body for the quality of public services within three "
        "working days, with supporting documents (Rules p.28).",
    )),
    rule("refusal_repeat_window", 1, "months", "p.28", "", (
        "Бас тарту қайталанған деп саналатын кезең",
        "Период, в котором отказ считается повторным",
        "Period in which a refusal counts as repeated",
    ), (
        "Көрсетілетін қызметті берушінің екінші бас тартуы алғашқысынан кейін бір ай ішінде "
        "болса, ол қайта бас тарту болып саналады және хабарлау міндетін туғызады "
        "(Қағидалардың 28-тармағы). Кезең күнтізбелік айлармен есептеледі.",
        "Отказ услугодателя считается повторным, если он последовал в течение месяца после "
        "первого, и влечёт обязанность сообщить о нём (п. 28 Правил). Период считается в "
        "календарных месяцах.",
        "A provider's refusal counts as repeated when it comes within a month of the first "
        "one, and then must be reported (Rules p.28). The period is counted in calendar months.",
    )),
    rule("monthly_report_day", 5, "day_of_month", "p.31", "", (
        "Өтініштер туралы ай сайынғы есеп (2-қосымша)",
        "Ежемесячный отчёт об обращениях (приложение 2)",
        "Monthly report on appeals (Annex 2)",
    ), (
        "Бірыңғай байланыс орталығы есептік айдан кейінгі айдың бесінші күніне дейін "
        "уәкілетті органға, мемлекеттік қызмет көрсететін орталық мемлекеттік және жергілікті "
        "атқарушы органдарға 2-қосымшадағы нысан бойынша есеп береді (Қағидалардың "
        "31-тармағы).",
        "Единый контакт-центр ежемесячно, к пятому числу месяца, следующего за отчётным, "
        "представляет уполномоченному органу, центральным государственным и местным "
        "исполнительным органам, оказывающим госуслуги, отчёт по форме приложения 2 (п. 31 "
        "Правил).",
        "Every month, by the fifth day of the month after the reporting one, the contact "
        "center reports to the quality authority and to the central and local bodies "
        "providing services, in the Annex 2 form (Rules p.31).",
    )),
    rule("discrepancy_explanation", 1, "working_days", "p.32", "", (
        "Есептердегі сәйкессіздік бойынша түсіндірме",
        "Пояснение о расхождении данных в отчётах",
        "Explanation of a discrepancy between reports",
    ), (
        "Көрсетілетін қызметті берушінің ішкі бақылау есебі мен Бірыңғай байланыс орталығының "
        "есебі сәйкес келмесе, Бірыңғай байланыс орталығы уәкілетті органның сұрау салуы "
        "бойынша түсіндірме ақпаратты келесі жұмыс күнінен кешіктірмей ұсынады (Қағидалардың "
        "32-тармағы).",
        "При расхождении данных отчёта услугодателя по внутреннему контролю и отчёта Единого "
        "контакт-центра центр по запросу уполномоченного органа представляет пояснение не "
        "позднее следующего рабочего дня (п. 32 Правил).",
        "When a provider's internal-control report and the contact center's report differ, "
        "the center explains on the quality authority's request no later than the next "
        "working day (Rules p.32).",
    )),
    rule("outage_notice_lead", 1, "calendar_days", "p.38", "", (
        "Ақпараттық-коммуникациялық қызметтердегі жоспарлы үзіліс туралы хабарлау",
        "Оповещение о плановом перерыве в оказании информационно-коммуникационных услуг",
        "Notice of a planned interruption of ICT services",
    ), (
        "Жабдықты, бағдарламалық қамтылымды ауыстыруға немесе басқа жұмыстарға байланысты "
        "жоспарланған үзіліс туралы Бірыңғай байланыс орталығы АКИ операторының ақпараты "
        "негізінде мемлекеттік органдар мен көрсетілетін қызметті берушілерді үзілістен кемінде "
        "бір тәулік бұрын хабардар етеді (Қағидалардың 38-тармағы).",
        "О плановом перерыве, связанном с заменой оборудования, программного обеспечения или "
        "другими работами, Единый контакт-центр на основании информации оператора ИКИ "
        "оповещает государственные органы и услугодателей не менее чем за сутки до перерыва "
        "(п. 38 Правил).",
        "On the ICI operator's information, the contact center notifies state bodies and "
        "providers of a planned interruption (equipment or software replacement, other works) "
        "at least one day (24 hours) before it (Rules p.38).",
    )),
    rule("ict_report_day", 5, "day_of_month", "p.39", "", (
        "Ақпараттық-коммуникациялық қызметтер бойынша ай сайынғы есеп",
        "Ежемесячный отчёт по информационно-коммуникационным услугам",
        "Monthly report on ICT services",
    ), (
        "Ақпараттық-коммуникациялық қызметтер сапасын мониторингілеу шеңберінде Бірыңғай "
        "байланыс орталығы есептік айдан кейінгі айдың бесінші күніне дейін ақпараттық жүйе "
        "қалыптастырған есепті ақпараттандыру саласындағы уәкілетті органға, АКИ операторына "
        "және қызметті алушы мемлекеттік органдарға жібереді (Қағидалардың 39-тармағы).",
        "В рамках мониторинга качества информационно-коммуникационных услуг Единый "
        "контакт-центр к пятому числу месяца, следующего за отчётным, направляет сформированный "
        "информационной системой отчёт уполномоченному органу в сфере информатизации, оператору "
        "ИКИ и государственным органам — получателям услуг (п. 39 Правил).",
        "To monitor the quality of ICT services, the contact center sends the report the "
        "information system produces by the fifth day of the month after the reporting one to "
        "the authorized body in informatization, the ICI operator and the state bodies "
        "receiving the services (Rules p.39).",
    )),
]


def seed(apps, schema_editor):
    model = apps.get_model("policy", "PolicyRule")
    for values in RULES:
        key = {k: values[k] for k in ("code", "text_variant", "valid_from")}
        model.objects.update_or_create(**key, defaults=values)


def unseed(apps, schema_editor):
    model = apps.get_model("policy", "PolicyRule")
    for values in RULES:
        model.objects.filter(
            code=values["code"], text_variant=values["text_variant"], valid_from=values["valid_from"]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
