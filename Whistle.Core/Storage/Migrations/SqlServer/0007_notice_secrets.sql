-- Issue 11: robot URLs and secrets are credentials. notice_channels.url and .secret now hold Data Protection payloads
-- ('dp1:' + the protected text, longer than the clear text; rows written earlier in clear are encrypted when an
-- instance starts), and the key ring that encrypts them lives here, where every Api and Dispatcher instance reads it.
CREATE TABLE dbo.data_protection_keys (
    id             bigint IDENTITY(1,1) NOT NULL CONSTRAINT pk_data_protection_keys PRIMARY KEY,
    friendly_name  nvarchar(200)  NOT NULL,
    xml            nvarchar(max)  NOT NULL,
    created_at     datetimeoffset(7) NOT NULL
);

ALTER TABLE dbo.notice_channels ALTER COLUMN url nvarchar(max) NOT NULL;
ALTER TABLE dbo.notice_channels ALTER COLUMN secret nvarchar(max) NULL;
