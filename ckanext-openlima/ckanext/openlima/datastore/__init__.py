"""The DataStore of Open Lima (plugin ``openlima_datastore``): CKAN's ``datastore``
filled by ckanext-xloader, with what a municipal portal needs around them: an API token
for the loader made in-process, no fetching of private addresses, Spanish statuses,
Spanish number and date formats, XLSX dumps and a read-only SQL endpoint with limits."""
