// The city level: departments' work requests to institutions (issue 17). Keys match city.zh-CN.ts.
import type city from './city.zh-CN'

const en: typeof city = {
  nav: {
    department: 'Work requests',
    institutionInbox: 'To do',
  },
  kinds: {
    'one-to-one': 'Managed (one-to-one)',
    'one-to-many-service': 'One-to-many service',
    'many-to-one-guidance': 'Many-to-one guidance',
  },
  event: {
    WhistleRaised: 'Work request raised',
    AssignmentDispatched: 'Sent',
  },
  institutionItself: '{institution} (itself)',
  heading: "Our department's work requests",
  raise: 'Raise a work request',
  raiseHeading: 'Raise a work request',
  raiseSuccess: 'The work request has been sent',
  relation: 'Institution',
  relationPlaceholder: 'Pick an institution your department works with',
  relationFact: 'Relation',
  field: 'Field',
  workItem: 'Work item',
  workItemPlaceholder: 'Pick from the list of work items',
  preview: 'What is agreed',
  previewEmpty: 'Pick a work item to see who handles it, its limits, process and standard',
  routedTo: 'Handled by',
  process: 'Process',
  content: 'Content',
  standard: 'Standard',
  titlePlaceholder: 'What is to be done, e.g. "Q1 collection of administrative penalty records"',
  descriptionPlaceholder: 'Requirements, documents, contact person… (optional)',
  address: 'Place (optional)',
  addressPlaceholder: 'When it concerns a site',
  addressFact: 'Place',
  submit: 'Send',
  empty: 'No work requests yet. Use "Raise a work request" to send an item of a list to an institution.',
  noRelations: 'Your department has no list of work items to raise from yet.',
  raisedAt: 'Raised',
  requester: 'Requesting department',
  requestedBy: 'from {department}',
  declinedHeading: 'Declined work requests',
  declinedHint: 'A work request goes to the unit its list names and is not reassigned: cancel it and raise it again on the right item.',
  declinedCount: '{count} unit(s) declined',
  inboxHeading: 'Work requests to do',
  inboxEmpty: 'No work requests to do',
  levelPill: 'City work request',
  validation: {
    institutionRequired: 'Pick an institution',
    workItemRequired: 'Pick a work item',
  },
}

export default en
