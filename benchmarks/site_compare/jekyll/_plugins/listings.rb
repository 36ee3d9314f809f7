# Paginated listings of the datasets (all, per office, theme and district) and the
# facet index pages, generated the way jekyll-paginate-v2's autopages do.
module OpenLimaCompare
  PER_PAGE = 50
  HEADINGS = { "oficinas" => "Oficinas", "temas" => "Temas", "distritos" => "Distritos" }.freeze

  class Listings < Jekyll::Generator
    safe true
    priority :low

    def generate(site)
      docs = site.collections["conjuntos"].docs
      groups = Hash.new { |h, k| h[k] = [] }
      formats = {}
      docs.each do |d|
        groups[["oficinas", d.data["office"]["name"], d.data["office"]["title"]]] << d
        d.data["themes"].each { |t| groups[["temas", t["slug"], t["label"]]] << d }
        d.data["districts"].each { |t| groups[["distritos", t["code"], t["label"]]] << d }
        d.data["formats"].each { |f| formats[f] = true }
      end
      by_title = ->(list) { list.sort_by { |d| d.data["title"] } }
      listing(site, "conjuntos/", "Conjuntos de datos", by_title.(docs), nil, "")
      facets = Hash.new { |h, k| h[k] = [] }
      groups.each do |(kind, slug, label), list|
        path = "#{kind}/#{slug}/"
        facets[kind] << { "path" => path, "label" => label, "count" => list.size }
        listing(site, path, label, by_title.(list),
                { "path" => "#{kind}/", "label" => HEADINGS[kind] },
                (site.data["intros"] || {})[slug] || "")
      end
      facets.each do |kind, list|
        page = Jekyll::PageWithoutAFile.new(site, site.source, kind, "index.html")
        page.data.merge!("layout" => "facets", "title" => HEADINGS[kind],
                         "facets" => list.sort_by { |f| f["label"] })
        site.pages << page
      end
      site.data["figures"] = { "datasets" => docs.size, "offices" => facets["oficinas"].size,
                               "formats" => formats.size,
                               "themes" => facets["temas"].sort_by { |f| f["label"] } }
    end

    def listing(site, prefix, heading, docs, crumb, intro)
      pages = [(docs.size / PER_PAGE.to_f).ceil, 1].max
      docs.each_slice(PER_PAGE).with_index(1) do |chunk, number|
        dir = number == 1 ? prefix : "#{prefix}pagina/#{number}/"
        page = Jekyll::PageWithoutAFile.new(site, site.source, dir, "index.html")
        page.content = ""
        page.data.merge!("layout" => "listing", "title" => heading, "datasets" => chunk,
                         "page_number" => number, "pages" => pages, "prefix" => prefix,
                         "total" => docs.size, "crumb" => crumb, "intro" => intro)
        site.pages << page
      end
    end
  end
end
