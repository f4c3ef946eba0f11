-- The report as an ODT or DOCX (bilan.office): after the title page, a sommaire of the
-- headings of the three first levels, each a link to its heading; a page break after the
-- title page and after the sommaire.

local function page_break()
  if FORMAT == "docx" then
    return pandoc.RawBlock("openxml", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
  end
  return pandoc.RawBlock("opendocument", '<text:p text:style-name="Pagebreak"/>')
end

-- The entries of level `level` from headers[i], with their sub-entries; the next index.
local function entries(headers, i, level)
  local items = {}
  while i <= #headers and headers[i].level >= level do
    local header = headers[i]
    if header.level == level then
      local link = pandoc.Link(header.content, "#" .. header.identifier)
      table.insert(items, { pandoc.Plain({ link }) })
      i = i + 1
    else
      local nested
      nested, i = entries(headers, i, level + 1)
      if #items == 0 then
        table.insert(items, {})
      end
      table.insert(items[#items], pandoc.BulletList(nested))
    end
  end
  return items, i
end

function Pandoc(doc)
  local headers = {}
  for _, block in ipairs(doc.blocks) do
    if block.t == "Header" and block.level <= 3 then
      table.insert(headers, block)
    end
  end
  local sommaire = entries(headers, 1, 1)
  local blocks = {
    page_break(),
    pandoc.Para({ pandoc.Strong({ pandoc.Str("Sommaire") }) }),
    pandoc.BulletList(sommaire),
    page_break(),
  }
  for _, block in ipairs(doc.blocks) do
    table.insert(blocks, block)
  end
  doc.blocks = blocks
  return doc
end
